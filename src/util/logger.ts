import { pino, type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Structured JSON logs on stdout (pino), one line per event. */
export function createLogger(level: LogLevel): Logger {
  return pino({ name: 'openkvs', level });
}
