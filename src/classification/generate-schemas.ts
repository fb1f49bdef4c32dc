/**
 * Writes the published JSON Schemas from the zod schemas:
 *
 *   npx tsx src/classification/generate-schemas.ts
 *
 * `item.schema.json` (item specifications) and `rules/ruleset.schema.json` (rule
 * files). A test fails when either file is not the current output.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { itemJsonSchema } from './item-schema.js';
import { ruleSetJsonSchema } from './rules/ruleset-schema.js';

/** File name (relative to this folder) → current text. */
export function schemaFiles(): Record<string, string> {
  return {
    'item.schema.json': JSON.stringify(itemJsonSchema(), null, 2) + '\n',
    'rules/ruleset.schema.json': JSON.stringify(ruleSetJsonSchema(), null, 2) + '\n',
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [name, text] of Object.entries(schemaFiles())) {
    const file = fileURLToPath(new URL(name, import.meta.url));
    writeFileSync(file, text);
    console.log(`${file}: ${text.length} bytes`);
  }
}
