#!/usr/bin/env node
// The `fabgate` command: runs the built CLI (npm run build makes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('fabgate is not built yet: run `npm run build` (npm start does it for you)\n');
  process.exit(2);
}
const { main } = await import(entry.href);
await main();
