#!/usr/bin/env node
// The `fabgate-agent` command for the print host: runs the built agent (npm run build makes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/agent/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('fabgate-agent is not built yet: run `npm run build`\n');
  process.exit(2);
}
const { main } = await import(entry.href);
await main();
