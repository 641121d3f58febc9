/**
 * How `work` ends within `ms`: 'ok' (resolved), 'error' (rejected) or 'timeout' (still running;
 * it is not cancelled). The readiness probes and a server stop's bounded waits share it.
 */
export async function settleWithin(ms: number, work: Promise<unknown>): Promise<'ok' | 'timeout' | 'error'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
  });
  try {
    return await Promise.race([work.then(() => 'ok' as const, () => 'error' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
