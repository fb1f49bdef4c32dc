import { registerServiceCommands } from '../app/cli.js';
import { registerClassificationCommands } from '../classification/cli.js';
import { registerDesignCommands } from '../designs/cli.js';
import { registerDeviceCommands } from '../devices/cli.js';
import { registerGcodeCommands } from '../gcode/cli.js';
import { registerLedgerOfflineCommands } from '../ledger/cli.js';
import { registerLedgerServiceCommands } from '../ledger/service-cli.js';
import { registerLicensingCommands } from '../licensing/cli.js';
import { registerScreeningCommands } from '../screening/cli.js';
import { registerTicketCommands } from '../tickets/cli.js';
import { processIO } from './io.js';
import { runProgram, type CommandRegistrar } from './program.js';

/** Every command module of `fabgate`. */
export const registrars: CommandRegistrar[] = [
  registerServiceCommands,
  registerClassificationCommands,
  registerScreeningCommands,
  registerDesignCommands,
  registerGcodeCommands,
  registerLedgerOfflineCommands,
  registerLedgerServiceCommands,
  registerLicensingCommands,
  registerDeviceCommands,
  registerTicketCommands,
];

/** Run `fabgate` with the process's arguments and exit with the command's code. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  const code = await runProgram(argv, processIO(), registrars);
  // `serve` returns only after a signal; other commands end here.
  process.exitCode = code;
}
