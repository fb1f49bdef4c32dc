import { Command, CommanderError } from 'commander';
import { FabgateError, isFabgateError } from '../shared/errors.js';
import { CliExit, EXIT, exitCodeForError, reportError, type CliIO } from './io.js';

/** What a domain's CLI module receives to register its commands. */
export interface CliContext {
  io: CliIO;
}

/** A domain's `cli.ts` exports one of these (e.g. `registerGcodeCommands`). */
export type CommandRegistrar = (program: Command, ctx: CliContext) => void;

/**
 * Build a `fabgate` program from registrars and run it on `argv` (without the
 * node and script names). Returns the exit code instead of exiting, so tests can
 * run commands in process and read what they printed.
 */
export async function runProgram(argv: string[], io: CliIO, registrars: CommandRegistrar[]): Promise<number> {
  const program = new Command('fabgate')
    .description('Fabgate: export controls and technical controls for additive manufacturing')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError();
  const ctx: CliContext = { io };
  for (const register of registrars) register(program, ctx);
  // Every subcommand inherits the same error handling and output streams.
  const configure = (cmd: Command) => {
    cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
    cmd.commands.forEach(configure);
  };
  configure(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CliExit) return e.exitCode;
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return EXIT.ok;
      return EXIT.usage;
    }
    if (isFabgateError(e)) {
      const json = argv.includes('--json');
      reportError(io, json, e);
      return exitCodeForError(e.kind);
    }
    const err = new FabgateError('INTERNAL', (e as Error)?.message ?? String(e), 'internal');
    reportError(io, argv.includes('--json'), err);
    if (io.env.FABGATE_DEBUG) io.stderr.write(String((e as Error)?.stack) + '\n');
    return EXIT.failure;
  }
}
