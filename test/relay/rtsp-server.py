#!/usr/bin/python3
"""A test camera: GStreamer's RTSP server on 127.0.0.1 serving a live test pattern (H.264 + AAC).

usage: rtsp-server.py PORT [--bframes N] [--size WxH] [--gop FRAMES] [--fps N] [--no-audio]
                      [--resize-to WxH --resize-after SECONDS]
Prints "ready PORT" once it listens (PORT 0 picks a free one). Mount: /cam.
"""
import argparse
import gi

gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('port', type=int)
p.add_argument('--bframes', type=int, default=0)
p.add_argument('--size', default='320x240')
p.add_argument('--gop', type=int, default=15)
p.add_argument('--fps', type=int, default=15)
p.add_argument('--no-audio', action='store_true')
p.add_argument('--resize-to', help='change the resolution to WxH mid-stream, in the same RTSP session')
p.add_argument('--resize-after', type=float, default=3.0, help='seconds after a client starts playing')
p.add_argument('--tls', help='serve rtsps:// with this PEM file (certificate then key)')
p.add_argument('--file', help='re-serve this MP4 (H.264 + AAC) instead of encoding a test pattern')
a = p.parse_args()
w, h = a.size.split('x')

Gst.init(None)
video = (f'videotestsrc is-live=true pattern=ball ! video/x-raw,width={w},height={h},framerate={a.fps}/1 ! '
         f'videoscale ! capsfilter name=size caps=video/x-raw,width={w},height={h} ! '
         f'x264enc tune={"zerolatency" if a.bframes == 0 else "0"} speed-preset=ultrafast key-int-max={a.gop} '
         f'bframes={a.bframes} b-adapt=false ! video/x-h264,profile=main ! rtph264pay name=pay0 pt=96 config-interval=-1')
audio = '' if a.no_audio else ' audiotestsrc is-live=true wave=sine ! audioconvert ! audioresample ! audio/x-raw,rate=44100,channels=1 ! avenc_aac ! rtpmp4gpay name=pay1 pt=97'
if a.file:
    # No encoding on the machine: the file's H.264 and AAC as they are, paced by the pipeline clock.
    video = f'filesrc location={a.file} ! qtdemux name=d d.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1'
    audio = ' d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97'
server = GstRtspServer.RTSPServer()
server.set_address('127.0.0.1')
server.set_service(str(a.port))
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(f'( {video}{audio} )')
# A file is served from its start to each client (shared, a late client would find it over).
factory.set_shared(not a.file)


def resize_later(_factory, media):
    # New caps on the running encoder: x264enc starts again with a new SPS and an IDR, in band.
    size = media.get_element().get_by_name('size')
    rw, rh = a.resize_to.split('x')
    caps = Gst.Caps.from_string(f'video/x-raw,width={rw},height={rh}')
    GLib.timeout_add(int(a.resize_after * 1000), lambda: size.set_property('caps', caps) and False)


if a.resize_to:
    factory.connect('media-configure', resize_later)
if a.tls:
    from gi.repository import Gio  # noqa: E402
    auth = GstRtspServer.RTSPAuth()
    auth.set_tls_certificate(Gio.TlsCertificate.new_from_file(a.tls))
    # Anyone may play: the test is about the transport, not about accounts.
    token = GstRtspServer.RTSPToken()
    token.set_string('media.factory.role', 'anonymous')
    auth.set_default_token(token)
    server.set_auth(auth)
    factory.add_role_from_structure(Gst.Structure.from_string('anonymous, media.factory.access=(boolean)true, media.factory.construct=(boolean)true')[0])
server.get_mount_points().add_factory('/cam', factory)
server.attach(None)
print(f'ready {server.get_bound_port()}', flush=True)
GLib.MainLoop().run()
