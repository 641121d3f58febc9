#!/usr/bin/env python3
"""Byte-level edits of Matroska files for the test fixtures (python3 stdlib only).

ffmpeg makes valid files; the quirks PutMedia must cope with (unknown sizes, legacy codec ids,
fragment-metadata Tags, broken structure) are made here by editing the EBML tree, because no
muxer writes them on purpose.

The file is parsed into a tree that descends only into the master elements an edit needs; every
other element is kept as opaque bytes, so re-serializing an unedited tree reproduces the input.
On re-serialization each size field keeps its original width when the new size fits (EBML allows
non-minimal widths), unknown sizes stay unknown, and a CRC-32 child (ffmpeg writes them) is
recomputed over its siblings. Edits that move bytes drop SeekHead and Cues, whose positions would
otherwise point at the wrong places (Amazon's producers send neither).

Element ids and layout: RFC 8794 (EBML) and RFC 9559 (Matroska).

Usage: mkv_surgery.py COMMAND IN [OUT] [options]; run with -h for the commands.
"""
import argparse
import hashlib
import sys
import zlib

# Element ids (RFC 9559 section 5.1), written as their encoded bytes read big-endian.
EBML = 0x1A45DFA3
SEGMENT = 0x18538067
SEEK_HEAD = 0x114D9B74
INFO = 0x1549A966
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_NUMBER = 0xD7
CODEC_ID = 0x86
CLUSTER = 0x1F43B675
TIMECODE = 0xE7
TRACK_TYPE = 0x83
REFERENCE_BLOCK = 0xFB
SIMPLE_BLOCK = 0xA3
BLOCK_GROUP = 0xA0
BLOCK = 0xA1
CUES = 0x1C53BB6B
TAGS = 0x1254C367
TAG = 0x7373
SIMPLE_TAG = 0x67C8
TAG_NAME = 0x45A3
TAG_STRING = 0x4487
CRC32 = 0xBF
VOID = 0xEC
CHAPTERS = 0x1043A770
ATTACHMENTS = 0x1941A469

# Only these are descended into; everything else stays opaque bytes.
MASTERS = {EBML, SEGMENT, TRACKS, TRACK_ENTRY, CLUSTER, BLOCK_GROUP, TAGS, TAG, SIMPLE_TAG}
# Children of a Segment; in an unknown-size Cluster the first of these ends the Cluster.
LEVEL1 = {SEEK_HEAD, INFO, TRACKS, CLUSTER, CUES, TAGS, CHAPTERS, ATTACHMENTS}

NAMES = {
    EBML: 'EBML', SEGMENT: 'Segment', SEEK_HEAD: 'SeekHead', INFO: 'Info', TRACKS: 'Tracks',
    TRACK_ENTRY: 'TrackEntry', TRACK_NUMBER: 'TrackNumber', CODEC_ID: 'CodecID', CLUSTER: 'Cluster',
    TIMECODE: 'Timecode', SIMPLE_BLOCK: 'SimpleBlock', BLOCK_GROUP: 'BlockGroup', BLOCK: 'Block',
    CUES: 'Cues', TAGS: 'Tags', TAG: 'Tag', SIMPLE_TAG: 'SimpleTag', TAG_NAME: 'TagName',
    TAG_STRING: 'TagString', CRC32: 'CRC-32', VOID: 'Void', 0x63C0: 'Targets', 0xE0: 'Video',
    0xE1: 'Audio', 0x63A2: 'CodecPrivate', 0x2AD7B1: 'TimestampScale', 0x4489: 'Duration',
    0x4282: 'DocType', 0x83: 'TrackType', 0x73C5: 'TrackUID', 0xA7: 'Position', 0xAB: 'PrevSize',
    0x9B: 'BlockDuration', 0x75A2: 'DiscardPadding', 0x4D80: 'MuxingApp', 0x5741: 'WritingApp',
}


class Element:
    """One EBML element. `size_width` is the byte width of its size field as found in the input."""

    def __init__(self, eid, size_width, unknown_size, data=None, children=None):
        self.eid = eid
        self.size_width = size_width
        self.unknown_size = unknown_size
        self.data = data          # bytes, for opaque elements
        self.children = children  # list of Element, for masters

    @property
    def is_master(self):
        return self.children is not None

    def child(self, eid):
        return next((c for c in self.children if c.eid == eid), None)


# --------------------------------------------------------------------------------------------
# EBML variable-size integers (RFC 8794 section 4)

def read_vint(buf, pos):
    """Returns (value, width, all_ones) of the VINT at pos; the marker bit is removed."""
    first = buf[pos]
    width = 1
    while width <= 8 and not first & (0x80 >> (width - 1)):
        width += 1
    if width > 8:
        raise ValueError(f'invalid VINT at byte {pos}')
    value = first & (0xFF >> width)
    for b in buf[pos + 1:pos + width]:
        value = (value << 8) | b
    return value, width, value == (1 << (7 * width)) - 1


def read_id(buf, pos):
    """Element ids keep their marker bit: returns (id, width)."""
    _, width, _ = read_vint(buf, pos)
    return int.from_bytes(buf[pos:pos + width], 'big'), width


def encode_size(size, width):
    """Size as a VINT of `width` bytes if it fits (all-ones is reserved for 'unknown'), else minimal."""
    for w in [width] + list(range(1, 9)):
        if size < (1 << (7 * w)) - 1:
            return ((1 << (7 * w)) | size).to_bytes(w, 'big')
    raise ValueError(f'size {size} too large')


def unknown_size(width):
    """The reserved all-ones value: marker bit plus 7*width one bits."""
    return ((1 << (8 * width)) - 1 >> (width - 1)).to_bytes(width, 'big')


def encode_id(eid):
    return eid.to_bytes((eid.bit_length() + 7) // 8, 'big')


def encode_uint(value):
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), 'big')


# --------------------------------------------------------------------------------------------
# Parsing and writing the tree

def parse(buf, pos=0, end=None, parent=None):
    """Parses the elements in buf[pos:end] and returns (elements, position reached)."""
    end = len(buf) if end is None else end
    elements = []
    while pos < end:
        eid, id_width = read_id(buf, pos)
        if parent == CLUSTER and unknown_end_reached(eid):
            break
        size, size_width, unknown = read_vint(buf, pos + id_width)
        start = pos + id_width + size_width
        if eid in MASTERS:
            stop = end if unknown else start + size
            children, pos = parse(buf, start, stop, eid)
            elements.append(Element(eid, size_width, unknown, children=children))
        else:
            if unknown:
                raise ValueError(f'unknown size on non-master element 0x{eid:X} at byte {pos}')
            elements.append(Element(eid, size_width, False, data=bytes(buf[start:start + size])))
            pos = start + size
    return elements, pos


def unknown_end_reached(eid):
    """An unknown-size Cluster ends where a Segment child starts (RFC 9559, unknown-size elements)."""
    return eid in LEVEL1


def parse_file(path):
    with open(path, 'rb') as f:
        buf = f.read()
    elements, _ = parse(buf)
    return elements


def serialize(element):
    body = element.data if not element.is_master else serialize_children(element.children)
    size = unknown_size(element.size_width) if element.unknown_size else encode_size(len(body), element.size_width)
    return encode_id(element.eid) + size + body


def serialize_children(children):
    parts = [serialize(c) for c in children]
    if children and children[0].eid == CRC32:
        # RFC 8794 section 11.3.1: the CRC-32 (little-endian, IEEE) covers the parent's data after it.
        crc = zlib.crc32(b''.join(parts[1:])) & 0xFFFFFFFF
        parts[0] = serialize(Element(CRC32, 1, False, data=crc.to_bytes(4, 'little')))
    return b''.join(parts)


def write_file(path, elements):
    with open(path, 'wb') as f:
        f.write(b''.join(serialize(e) for e in elements))


def segment_of(elements):
    segment = next((e for e in elements if e.eid == SEGMENT), None)
    if segment is None:
        raise ValueError('no Segment')
    return segment


def clusters_of(segment):
    return [c for c in segment.children if c.eid == CLUSTER]


def drop_positional_elements(segment):
    """SeekHead and Cues hold byte positions; after bytes moved they would lie, so they go."""
    segment.children = [c for c in segment.children if c.eid not in (SEEK_HEAD, CUES)]


def leaf(eid, data):
    return Element(eid, 1, False, data=data)


def master(eid, children):
    return Element(eid, 1, False, children=children)


def tags_element(pairs):
    """Tags > Tag > SimpleTag(TagName, TagString)..., without Targets, the way Amazon's producer writes them."""
    simple_tags = [
        master(SIMPLE_TAG, [leaf(TAG_NAME, name.encode()), leaf(TAG_STRING, value.encode())]) for name, value in pairs
    ]
    return master(TAGS, [master(TAG, simple_tags)])


def blocks_of(cluster):
    """(element, is_simple_block) for every SimpleBlock and every Block inside a BlockGroup."""
    for c in cluster.children:
        if c.eid == SIMPLE_BLOCK:
            yield c, True
        elif c.eid == BLOCK_GROUP:
            for b in c.children:
                if b.eid == BLOCK:
                    yield b, False


# --------------------------------------------------------------------------------------------
# Commands

def cmd_align_clusters(args):
    """Makes every Cluster start with a video key frame, as Amazon's producer writes them.

    ffmpeg's Matroska muxer holds back one audio packet and writes it after it has opened the
    Cluster for the next video key frame, so its Clusters start with an audio block a few ms
    before the key frame. Such leading blocks move to the end of the previous Cluster, and the
    Cluster's Timecode becomes the key frame's (block timecodes are rebased to match).
    """
    elements = parse_file(args.input)
    segment = segment_of(elements)
    video = video_track_numbers(segment)
    clusters = clusters_of(segment)
    for previous, cluster in zip([None] + clusters[:-1], clusters):
        align_cluster(previous, cluster, video)
    drop_positional_elements(segment)
    write_file(args.output, elements)


def video_track_numbers(segment):
    entries = [t for t in segment.child(TRACKS).children if t.eid == TRACK_ENTRY]
    return {track_number(t) for t in entries if int.from_bytes(t.child(TRACK_TYPE).data, 'big') == 1}


def align_cluster(previous, cluster, video):
    blocks = [c for c in cluster.children if c.eid in (SIMPLE_BLOCK, BLOCK_GROUP)]
    key_index = next(i for i, b in enumerate(blocks) if is_video_key_frame(b, video))
    leading = blocks[:key_index]
    if not leading:
        return
    key_frame = blocks[key_index]
    if previous is None:
        # Nothing earlier to hand them to; the first frames share timecode 0, so order alone changes.
        cluster.children.remove(key_frame)
        cluster.children.insert(cluster.children.index(leading[0]), key_frame)
        return
    cluster_timecode = uint_of(cluster.child(TIMECODE))
    for block in leading:
        shift_block(block, cluster_timecode - uint_of(previous.child(TIMECODE)))
        cluster.children.remove(block)
        previous.children.append(block)
    key_offset = block_timecode(key_frame)
    for block in blocks[key_index:]:
        shift_block(block, -key_offset)
    cluster.child(TIMECODE).data = encode_uint(cluster_timecode + key_offset)


def block_payload(block):
    """The Block/SimpleBlock element whose data starts with track number, timecode and flags."""
    return block if block.eid == SIMPLE_BLOCK else block.child(BLOCK)


def block_timecode(block):
    data = block_payload(block).data
    _, width, _ = read_vint(data, 0)
    return int.from_bytes(data[width:width + 2], 'big', signed=True)


def shift_block(block, delta):
    """Block timecodes are signed 16-bit, relative to the Cluster's (RFC 9559, Block structure)."""
    element = block_payload(block)
    _, width, _ = read_vint(element.data, 0)
    timecode = block_timecode(block) + delta
    if not -32768 <= timecode <= 32767:
        raise ValueError(f'block timecode {timecode} does not fit 16 bits')
    element.data = element.data[:width] + timecode.to_bytes(2, 'big', signed=True) + element.data[width + 2:]


def is_video_key_frame(block, video):
    data = block_payload(block).data
    track, width, _ = read_vint(data, 0)
    if track not in video:
        return False
    if block.eid == SIMPLE_BLOCK:
        return bool(data[width + 2] & 0x80)
    return block.child(REFERENCE_BLOCK) is None


def uint_of(element):
    return int.from_bytes(element.data, 'big')


def cmd_unknown_sizes(args):
    """Segment and every Cluster get the all-ones 'unknown' size of the same width: no byte moves."""
    elements = parse_file(args.input)
    segment = segment_of(elements)
    segment.unknown_size = True
    for cluster in clusters_of(segment):
        cluster.unknown_size = True
    write_file(args.output, elements)


def cmd_codec_id(args):
    elements = parse_file(args.input)
    segment = segment_of(elements)
    tracks = segment.child(TRACKS)
    entries = [t for t in tracks.children if t.eid == TRACK_ENTRY and track_number(t) == args.track]
    if not entries:
        raise ValueError(f'no TrackEntry with TrackNumber {args.track}')
    entries[0].child(CODEC_ID).data = args.codec_id.encode()
    drop_positional_elements(segment)
    write_file(args.output, elements)


def track_number(entry):
    return int.from_bytes(entry.child(TRACK_NUMBER).data, 'big')


def cmd_add_tags(args):
    """Inserts a level-1 Tags element after the chosen Clusters, as fragment metadata of each."""
    elements = parse_file(args.input)
    segment = segment_of(elements)
    pairs = [parse_pair(p) for p in args.tag]
    clusters = clusters_of(segment)
    for cluster in pick_clusters(clusters, args.after):
        # Tags already following the Cluster belong to it too; the new ones go after them.
        at = segment.children.index(cluster) + 1
        while at < len(segment.children) and segment.children[at].eid == TAGS:
            at += 1
        segment.children.insert(at, tags_element(pairs))
    drop_positional_elements(segment)
    write_file(args.output, elements)


def parse_pair(text):
    name, sep, value = text.partition('=')
    if not sep:
        raise ValueError(f'--tag wants NAME=VALUE, got {text!r}')
    # Test data needs long values without a 300-character command line: "x*300" repeats.
    if value.startswith('x*') and value[2:].isdigit():
        value = 'x' * int(value[2:])
    return name, value


def pick_clusters(clusters, which):
    if which == 'all':
        return clusters
    if which == 'last':
        return clusters[-1:]
    return [clusters[int(which) - 1]]


def cmd_retrack(args):
    """Rewrites the track number inside every block of one track (a 1-byte VINT, so no size changes)."""
    if not (0 < args.to_track < 127 and 0 < args.from_track < 127):
        raise ValueError('track numbers must fit a 1-byte VINT')
    elements = parse_file(args.input)
    changed = 0
    for cluster in clusters_of(segment_of(elements)):
        for block, _ in blocks_of(cluster):
            number, width, _ = read_vint(block.data, 0)
            if width == 1 and number == args.from_track:
                block.data = bytes([0x80 | args.to_track]) + block.data[1:]
                changed += 1
    if changed == 0:
        raise ValueError(f'no block of track {args.from_track}')
    write_file(args.output, elements)


def cmd_cluster_timecode(args):
    elements = parse_file(args.input)
    segment = segment_of(elements)
    cluster = clusters_of(segment)[args.cluster - 1]
    cluster.child(TIMECODE).data = encode_uint(args.timecode)
    drop_positional_elements(segment)
    write_file(args.output, elements)


def cmd_garbage(args):
    """Keeps everything before the first Cluster, then writes deterministic garbage instead of Clusters.

    The garbage starts with a 0x00 byte, which cannot begin an EBML id (RFC 8794 section 5), so a
    parser fails at exactly that byte rather than somewhere inside random data.
    """
    elements = parse_file(args.input)
    segment = segment_of(elements)
    first = next(i for i, c in enumerate(segment.children) if c.eid == CLUSTER)
    segment.children = [c for c in segment.children[:first] if c.eid not in (SEEK_HEAD, CUES)]
    segment.unknown_size = True
    head = b''.join(serialize(e) for e in elements)
    with open(args.output, 'wb') as f:
        f.write(head + b'\x00' + pseudo_random_bytes(args.bytes - 1, args.seed))


def pseudo_random_bytes(count, seed):
    """SHA-256 in counter mode: the same bytes on every machine and Python version."""
    out = bytearray()
    counter = 0
    while len(out) < count:
        out += hashlib.sha256(f'{seed}:{counter}'.encode()).digest()
        counter += 1
    return bytes(out[:count])


def cmd_dump(args):
    with open(args.input, 'rb') as f:
        buf = f.read()
    dump(buf, 0, len(buf), 0, None)


def dump(buf, pos, end, depth, parent):
    """Prints the tree with offsets; used to write and check the fixture README by eye."""
    while pos < end:
        eid, id_width = read_id(buf, pos)
        if parent == CLUSTER and unknown_end_reached(eid):
            return pos
        size, size_width, unknown = read_vint(buf, pos + id_width)
        start = pos + id_width + size_width
        name = NAMES.get(eid, f'0x{eid:X}')
        shown = 'unknown' if unknown else str(size)
        print(f'{pos:8d} {"  " * depth}{name} size={shown}{describe(eid, buf[start:start + size]) if not unknown else ""}')
        if eid in MASTERS:
            pos = dump(buf, start, end if unknown else start + size, depth + 1, eid)
        else:
            pos = start + size
    return pos


def describe(eid, data):
    if eid in (CODEC_ID, TAG_NAME, TAG_STRING, 0x4282):
        return f' "{data.decode(errors="replace")[:60]}"'
    if eid in (TRACK_NUMBER, TIMECODE, 0x83, 0x2AD7B1):
        return f' = {int.from_bytes(data, "big")}'
    if eid in (SIMPLE_BLOCK, BLOCK):
        track, width, _ = read_vint(data, 0)
        timecode = int.from_bytes(data[width:width + 2], 'big', signed=True)
        key = ' key' if eid == SIMPLE_BLOCK and data[width + 2] & 0x80 else ''
        return f' track={track} timecode={timecode}{key}'
    return ''


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='command', required=True)

    def command(name, func, help_text, output=True):
        p = sub.add_parser(name, help=help_text)
        p.add_argument('input')
        if output:
            p.add_argument('output')
        p.set_defaults(func=func)
        return p

    command('dump', cmd_dump, 'print the element tree', output=False)
    command('align-clusters', cmd_align_clusters, 'make every Cluster start with a video key frame')
    command('unknown-sizes', cmd_unknown_sizes, 'Segment and Cluster sizes become "unknown" in place')
    p = command('codec-id', cmd_codec_id, 'replace the CodecID of one track')
    p.add_argument('--track', type=int, required=True)
    p.add_argument('--codec-id', required=True)
    p = command('add-tags', cmd_add_tags, 'insert a level-1 Tags element after Clusters')
    p.add_argument('--after', default='all', help='all, last, or a 1-based Cluster index')
    p.add_argument('--tag', action='append', required=True, help='NAME=VALUE (VALUE "x*N": N times "x")')
    p = command('retrack', cmd_retrack, 'make the blocks of one track name another track number')
    p.add_argument('--from', dest='from_track', type=int, required=True)
    p.add_argument('--to', dest='to_track', type=int, required=True)
    p = command('cluster-timecode', cmd_cluster_timecode, 'set the Timecode of one Cluster')
    p.add_argument('--cluster', type=int, required=True, help='1-based')
    p.add_argument('--timecode', type=int, required=True)
    p = command('garbage', cmd_garbage, 'header, Info and Tracks, then garbage where Clusters belong')
    p.add_argument('--bytes', type=int, default=4096)
    p.add_argument('--seed', default='openkvs')
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == '__main__':
    main(sys.argv[1:])
