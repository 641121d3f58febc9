/** Number and text formats shared by the HLS and DASH builders. */

/** "000"–"999", and the same with trailing zeros cut ("", "5", "05", "857"): built once, used per line. */
const THREE_DIGITS = Array.from({ length: 1000 }, (_, k) => String(k).padStart(3, '0'));
const DECIMALS = THREE_DIGITS.map((digits) => digits.replace(/0+$/, ''));
const TWO_DIGITS = THREE_DIGITS.slice(0, 100).map((digits) => digits.slice(1));

/**
 * Milliseconds as decimal seconds with at most three decimals and no trailing zeros
 * ("1.857", "2.68", "2"), the shape of KVS's EXTINF values (RFC 8216 §4.3.2.1 decimal-floating-point).
 */
export function decimalSeconds(ms: number): string {
  const whole = Math.round(ms);
  const sign = whole < 0 ? '-' : '';
  const abs = Math.abs(whole);
  const seconds = Math.floor(abs / 1000);
  const decimals = DECIMALS[abs % 1000] as string;
  return decimals === '' ? `${sign}${seconds}` : `${sign}${seconds}.${decimals}`;
}

/** An xs:duration of whole and fractional seconds, "PT12.5S" (ISO/IEC 23009-1 uses xs:duration). */
export function xsDuration(ms: number): string {
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`duration ${ms} ms`);
  return `PT${decimalSeconds(ms)}S`;
}

const MS_PER_DAY = 86_400_000;
/** 10000-01-01T00:00:00Z: from here on toISOString writes six-digit years. */
const YEAR_10000_MS = 253_402_300_800_000;
let cachedDay = Number.NaN;
let cachedDayPrefix = '';

/**
 * An xs:dateTime / ISO 8601 UTC instant with milliseconds: "2022-01-28T07:00:35.931Z", exactly
 * as Date.toISOString writes it. A playlist formats thousands of instants of the same day or
 * two, so the date part is kept from the previous call and the time part is built from tables
 * (Date.toISOString for each was most of a 5000-fragment playlist's build time).
 */
export function isoInstant(epochMs: number): string {
  if (!Number.isInteger(epochMs) || epochMs < 0 || epochMs >= YEAR_10000_MS) return new Date(epochMs).toISOString();
  const day = Math.floor(epochMs / MS_PER_DAY);
  if (day !== cachedDay) {
    cachedDayPrefix = new Date(day * MS_PER_DAY).toISOString().slice(0, 11);
    cachedDay = day;
  }
  let rest = epochMs - day * MS_PER_DAY;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  return `${cachedDayPrefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[millis]}Z`;
}

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text safe inside a double-quoted XML attribute value. */
export function xmlAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch] as string);
}
