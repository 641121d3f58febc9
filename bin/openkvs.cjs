#!/usr/bin/env node
// Segment appends sync on libuv's thread pool; its default of 4 threads queues the syncs of many
// cameras behind each other. The pool starts at its first use and reads the size then: in an ES
// module entry the loader has already used it (the setting was silently ignored), so this entry
// is CommonJS, which loads synchronously, and sets the size before importing the CLI.
process.env.UV_THREADPOOL_SIZE ??= '16';
import('../dist/src/cli.js').catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
