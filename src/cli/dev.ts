// `npm run fabgate -- <command>`: the CLI straight from the TypeScript sources (no build).
import { main } from './main.js';

await main();
