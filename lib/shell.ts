import { quote } from "shell-quote";

/**
 * Joins argv into one POSIX shell word list. Every word is quoted by shell-quote, so a config value
 * with quotes, `$()`, backticks, `;` or newlines reaches the command as one literal argument.
 */
export function shellJoin(argv: readonly string[]): string {
  return quote([...argv]);
}

/** A script line that sets a shell variable to a literal value. */
export function shellAssign(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`not a shell variable name: ${JSON.stringify(name)}`);
  }
  return `${name}=${value === "" ? "''" : quote([value])}`;
}
