#!/usr/bin/env node
// Segment appends fsync on libuv's thread pool; its default of 4 threads queues the syncs of many
// cameras behind each other. Set before anything touches the pool, hence the dynamic import.
process.env.UV_THREADPOOL_SIZE ??= '16';
await import('../dist/src/cli.js');
