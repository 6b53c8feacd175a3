// The one argument parser of every command (deploy, verify, upgrade, layout-guard, keeper, pricer, demo, bench,
// mutants): node's util.parseArgs in strict mode, read before the command does anything else.
//   --help / -h anywhere        usage on stdout, exit 0, nothing else happens;
//   an unknown flag, a flag without its value, a value given to a switch, a stray or missing positional
//                               one line `<command>: <what>` on stderr, exit 2;
//   a key-like flag (--private-key, --mnemonic, ...)
//                               refused with the same one line: keys come from the environment or a keystore only.
// Also the one redaction of RPC URLs (an API key often sits in the path, the query or the user-info part).
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends Options = Options> {
  /** The name in messages: `deploy`, `verify`, ... */
  name: string;
  /** The whole usage text (first line `usage: ...`), printed by --help. */
  usage: string;
  options?: O;
  /** How many positionals the command takes (default none). */
  positionals?: { min: number; max: number; names?: string };
}

/** Bad input on the command line: its message is the one line printed, and the exit status is 2. */
export class CliError extends Error {}

const KEY_FLAG = /^--(private-key|private-keys|mnemonic|mnemonic-path|key|keys|password|keystore-password|seed)(=|$)/;

/** True when the command line asks for help (before any `--` terminator). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** Parses `argv` strictly; throws CliError with one line on bad input. `--help` is not handled here (see run()). */
export function parseCommand<O extends Options>(argv: readonly string[], spec: CommandSpec<O>) {
  const bad = argv.find((a) => KEY_FLAG.test(a));
  if (bad) {
    throw new CliError(`refusing ${bad.split('=')[0]}: keys are never read from argv (every local process can read it); they come from the environment or a keystore`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: spec.options ?? ({} as O), strict: true, allowPositionals: true });
  } catch (e) {
    throw new CliError(explain(e));
  }
  const { min, max, names } = spec.positionals ?? { min: 0, max: 0 };
  const pos = parsed.positionals;
  if (pos.length > max) throw new CliError(max === 0 ? `unexpected argument ${pos[0]} (--help lists the options)` : `unexpected argument ${pos[max]}: at most ${max} (${names ?? 'arguments'})`);
  if (pos.length < min) throw new CliError(`missing ${names ?? 'argument'} (--help shows the usage)`);
  return parsed;
}

/** util.parseArgs's messages are long and suggest `--`; this says the one thing that is wrong. */
function explain(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? String(e);
  const flag = /'(-{1,2}[^' ]+)/.exec(msg)?.[1] ?? '';
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown argument ${flag} (--help lists the options)`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      // Either "argument missing", "argument is ambiguous" (the next word is another flag), or a value for a switch.
      return /does not take an argument/.test(msg) ? `${flag} takes no value` : `${flag} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']+)'/.exec(msg)?.[1] ?? ''} (--help lists the options)`;
    default:
      return msg.split('\n')[0];
  }
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  exit: (code: number) => never;
}

const processIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
  exit: (code) => process.exit(code),
};

/**
 * The entry point's first call: --help prints the usage and exits 0; bad input prints one line and exits 2;
 * otherwise returns the parsed values and positionals.
 */
export function cli<O extends Options>(spec: CommandSpec<O>, argv: readonly string[] = process.argv.slice(2), io: Io = processIo) {
  if (wantsHelp(argv)) {
    io.out(spec.usage.trimEnd());
    return io.exit(0);
  }
  try {
    return parseCommand(argv, spec);
  } catch (e) {
    io.err(`${spec.name}: ${e instanceof Error ? e.message : String(e)}`);
    return io.exit(2);
  }
}

/**
 * An RPC URL as it may be printed: scheme, host and port only. API keys live in the user-info part, the path
 * (`/v2/<key>`) or the query (`?apikey=`), so all three go. The keeper, deploy, upgrade and verify all print this.
 */
export function redactUrl(url: string | undefined): string {
  if (!url) return '<no RPC_URL>';
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '<RPC_URL>';
  }
}

/** `text` with every occurrence of `url` (and of its credentials-bearing parts) replaced by its redacted form. */
export function redactIn(text: string, url: string | undefined): string {
  if (!url) return text;
  let out = text.split(url).join(redactUrl(url));
  try {
    const u = new URL(url);
    for (const secret of [u.password, u.username, u.pathname.length > 1 ? u.pathname : '', u.search]) {
      if (secret && secret.length >= 6) out = out.split(secret).join('…');
    }
  } catch {
    /* not a URL: nothing more to hide */
  }
  return out;
}
