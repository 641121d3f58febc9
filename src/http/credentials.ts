/**
 * The server's credentials file, in the AWS shared-credentials INI format clients already use:
 *
 *   [default]
 *   aws_access_key_id = AKIA...
 *   aws_secret_access_key = ...
 *   aws_session_token = ...        # optional
 *   policy = camera.json           # optional: an IAM policy document limiting the key
 *
 * Every section is one accepted key pair; the section name labels it (in logs and denials, and
 * as `${aws:username}` in its policy). A relative policy path is relative to this file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KeyEntry } from '../access/key-store.js';
import { parsePolicy, PolicyError, type PolicyDocument } from '../access/policy.js';

interface Section {
  name: string;
  line: number;
  values: Map<string, string>;
}

/** Reads the file; throws an Error naming the file and the offending line or section. */
export function loadCredentialsFile(path: string): KeyEntry[] {
  const sections = parseIni(readFileSync(path, 'utf8'), path);
  if (sections.length === 0) throw new Error(`${path}: no credentials found (expected [profile] sections)`);
  const credentials = new Map<string, KeyEntry>();
  for (const section of sections) {
    const entry = credentialOf(section, path);
    const previous = credentials.get(entry.accessKeyId);
    if (previous && !sameEntry(previous, entry)) {
      throw new Error(
        `${path}: section [${section.name}] (line ${section.line}) repeats access key ${entry.accessKeyId} with a different secret, token or policy`,
      );
    }
    if (!previous) credentials.set(entry.accessKeyId, entry);
  }
  return [...credentials.values()];
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

function credentialOf(section: Section, file: string): KeyEntry {
  const path = file;
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
  const policyFile = section.values.get('policy');
  const policy = policyFile === undefined ? undefined : loadPolicy(file, section, policyFile);
  return {
    accessKeyId,
    name: section.name,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(policy ? { policy } : {}),
  };
}

/** `policy = FILE`: read relative to the credentials file; errors name the file, the key and the statement. */
function loadPolicy(credentialsFile: string, section: Section, policyFile: string): PolicyDocument {
  const where = `${credentialsFile}: section [${section.name}] (line ${section.line}) policy ${policyFile}`;
  if (policyFile === '') throw new Error(`${where}: empty policy path`);
  const resolved = path.resolve(path.dirname(credentialsFile), policyFile);
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (err) {
    throw new Error(`${where}: cannot read ${resolved} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return parsePolicy(text, where);
  } catch (err) {
    if (err instanceof PolicyError) throw new Error(err.message);
    throw err;
  }
}

function sameEntry(a: KeyEntry, b: KeyEntry): boolean {
  return a.secretAccessKey === b.secretAccessKey && a.sessionToken === b.sessionToken && a.policy?.text === b.policy?.text;
}
