/** Number and text formats shared by the HLS and DASH builders. */

/**
 * Milliseconds as decimal seconds with at most three decimals and no trailing zeros
 * ("1.857", "2.68", "2"), the shape of KVS's EXTINF values (RFC 8216 §4.3.2.1 decimal-floating-point).
 */
export function decimalSeconds(ms: number): string {
  const whole = Math.round(ms);
  const sign = whole < 0 ? '-' : '';
  const abs = Math.abs(whole);
  const seconds = Math.floor(abs / 1000);
  const fraction = abs % 1000;
  if (fraction === 0) return `${sign}${seconds}`;
  return `${sign}${seconds}.${String(fraction).padStart(3, '0').replace(/0+$/, '')}`;
}

/** An xs:duration of whole and fractional seconds, "PT12.5S" (ISO/IEC 23009-1 uses xs:duration). */
export function xsDuration(ms: number): string {
  if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`duration ${ms} ms`);
  return `PT${decimalSeconds(ms)}S`;
}

/** An xs:dateTime / ISO 8601 UTC instant with milliseconds: "2022-01-28T07:00:35.931Z". */
export function isoInstant(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text safe inside a double-quoted XML attribute value. */
export function xmlAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => XML_ESCAPES[ch] as string);
}
