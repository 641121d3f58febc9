/**
 * When the reader of stdout goes away (`openkvs list-fragments | head`), the command ends quietly
 * with status 0, as SIGPIPE ends any Unix tool; Node ignores SIGPIPE and would otherwise die on
 * an unhandled EPIPE with a stack trace.
 */
export function exitQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
