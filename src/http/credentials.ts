/**
 * The server's credentials file, in the AWS shared-credentials INI format clients already use:
 *
 *   [default]
 *   aws_access_key_id = AKIA...
 *   aws_secret_access_key = ...
 *   aws_session_token = ...        # optional
 *
 * Every section is one accepted key pair; the section names only label them.
 */
import { readFileSync } from 'node:fs';
import type { SecretLookup } from './sigv4.js';

export interface CredentialEntry {
  secretAccessKey: string;
  sessionToken?: string;
}

interface Section {
  name: string;
  line: number;
  values: Map<string, string>;
}

/** Reads the file; throws an Error naming the file and the offending line or section. */
export function loadCredentialsFile(path: string): Map<string, CredentialEntry> {
  const sections = parseIni(readFileSync(path, 'utf8'), path);
  if (sections.length === 0) throw new Error(`${path}: no credentials found (expected [profile] sections)`);
  const credentials = new Map<string, CredentialEntry>();
  for (const section of sections) {
    const [accessKeyId, entry] = credentialOf(section, path);
    const previous = credentials.get(accessKeyId);
    if (previous && !sameEntry(previous, entry)) {
      throw new Error(`${path}: section [${section.name}] (line ${section.line}) repeats access key ${accessKeyId} with a different secret or token`);
    }
    credentials.set(accessKeyId, entry);
  }
  return credentials;
}

/** The verifier's view of the loaded credentials. */
export function secretLookup(credentials: ReadonlyMap<string, CredentialEntry>): SecretLookup {
  return (accessKeyId) => credentials.get(accessKeyId);
}

function parseIni(text: string, path: string): Section[] {
  const sections: Section[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const lineNumber = index + 1;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const header = /^\[\s*([^\]]*?)\s*\]$/.exec(line);
    if (header) {
      sections.push({ name: header[1] ?? '', line: lineNumber, values: new Map() });
      return;
    }
    const eq = line.indexOf('=');
    const current = sections.at(-1);
    if (eq < 0) throw new Error(`${path}:${lineNumber}: expected 'name = value' or '[section]'`);
    if (!current) throw new Error(`${path}:${lineNumber}: setting outside of any [section]`);
    current.values.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
  });
  return sections;
}

function credentialOf(section: Section, path: string): [string, CredentialEntry] {
  const accessKeyId = section.values.get('aws_access_key_id');
  const secretAccessKey = section.values.get('aws_secret_access_key');
  const missing = [
    accessKeyId ? '' : 'aws_access_key_id',
    secretAccessKey ? '' : 'aws_secret_access_key',
  ].filter((name) => name !== '');
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(`${path}: section [${section.name}] (line ${section.line}) is missing ${missing.join(' and ')}`);
  }
  const sessionToken = section.values.get('aws_session_token');
  return [accessKeyId, sessionToken ? { secretAccessKey, sessionToken } : { secretAccessKey }];
}

function sameEntry(a: CredentialEntry, b: CredentialEntry): boolean {
  return a.secretAccessKey === b.secretAccessKey && a.sessionToken === b.sessionToken;
}
