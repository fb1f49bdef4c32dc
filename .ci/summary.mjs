// Prints the final plain line "N passed, N failed[, N skipped]" from vitest's JSON
// report, and fails if the PostgreSQL or browser suites did not run for real.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`0 passed, 1 failed (no test report: ${e.message})`);
  process.exit(1);
}
const tests = report.testResults.flatMap((f) => f.assertionResults.map((a) => ({ ...a, file: f.name })));
const passed = tests.filter((t) => t.status === 'passed').length;
const failed = tests.filter((t) => t.status === 'failed').length + report.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
const skipped = tests.filter((t) => t.status === 'skipped' || t.status === 'pending' || t.status === 'todo').length;
const pgPassed = tests.filter((t) => t.status === 'passed' && /postgres/.test(t.fullName)).length;
const browserPassed = tests.filter((t) => t.status === 'passed' && /\/test\/browser\//.test(t.file)).length;
let extra = 0;
if (pgPassed === 0) {
  console.log('the PostgreSQL suite did not run: that is a failure');
  extra++;
}
if (browserPassed === 0) {
  console.log('the browser suite did not run: that is a failure');
  extra++;
}
console.log(`${passed} passed, ${failed + extra} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed + extra > 0 ? 1 : 0);
