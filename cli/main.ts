/** Runs a CLI's `main` when its file is executed directly, and turns its result into the exit code. */
export function runCliMain(
  main: (
    args: readonly string[],
    io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
  ) => Promise<number>,
  tag: string,
): void {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${tag}: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
