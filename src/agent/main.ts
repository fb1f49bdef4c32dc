/**
 * Entry point of `fabgate-agent` (bin/fabgate-agent.js runs the built copy).
 * Kept apart from the `fabgate` CLI so the print host loads only node
 * builtins and the agent's own modules: no web framework, no database, no
 * logger (main.test.ts holds the import graph to that).
 */
import { pathToFileURL } from 'node:url';
import { processIO } from '../cli/io.js';
import { runAgentCli } from './cli.js';

export async function main(argv = process.argv.slice(2)): Promise<void> {
  // SIGINT/SIGTERM during a print cancel the job through the printer's cancel path
  // and still write its usage record; a second signal ends the process at once.
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write(`${signal}: cancelling the job…\n`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    process.exitCode = await runAgentCli(argv, processIO(), { signal: abort.signal });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

// Run when executed directly (node dist/agent/main.js, or tsx src/agent/main.ts).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
