/**
 * Test helper: parse XML with a real, namespace-aware parser (Python's ElementTree, run as a
 * child process) and get the tree back as plain objects. Unbound prefixes and malformed markup
 * fail the parse. Attribute names of other namespaces come back as "{uri}name".
 */
import { execFileSync } from 'node:child_process';
import { findTool } from '../../../helpers/process.js';

export const PYTHON = findTool(['/usr/bin/python3', 'python3']);

export interface XmlElement {
  readonly tag: string;
  readonly attributes: Record<string, string>;
  readonly children: XmlElement[];
}

const SCRIPT = `
import json, sys, xml.etree.ElementTree as ET
def walk(e):
    return {"tag": e.tag, "attributes": dict(e.attrib), "children": [walk(c) for c in e]}
print(json.dumps(walk(ET.fromstring(sys.stdin.buffer.read()))))
`;

export function parseXml(text: string): XmlElement {
  const json = execFileSync(PYTHON as string, ['-c', SCRIPT], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  return JSON.parse(json) as XmlElement;
}

/** Every element, depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap(allElements)];
}

/** The local name of a "{uri}name" tag. */
export function localName(tag: string): string {
  return tag.replace(/^\{[^}]*\}/, '');
}
