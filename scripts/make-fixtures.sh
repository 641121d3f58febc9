#!/usr/bin/env bash
# Regenerates every media file in test/fixtures/ (see test/fixtures/README.md for what each one
# exercises). ffmpeg makes the valid files; scripts/mkv_surgery.py edits bytes for the quirks no
# muxer writes on purpose. The output is deterministic for a given ffmpeg/x264/x265 build: all
# sources are synthetic (testsrc2, sine), encoders run single-threaded and bit-exact, and no
# metadata, dates or random UIDs are written.
#
# Usage: scripts/make-fixtures.sh            (needs ffmpeg with libx264, libx265; python3)
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=test/fixtures
FFMPEG="${FFMPEG:-ffmpeg}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

surgery() { python3 scripts/mkv_surgery.py "$@"; }
ff() { "$FFMPEG" -hide_banner -loglevel error -nostdin -y "$@"; }

# No encoder versions, dates, UIDs or source metadata in the output.
BITEXACT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1)
# 15 fps with a key frame every 30 frames: one 2 s GOP per Cluster, like a camera.
GOP=(-r 15 -g 30 -keyint_min 30 -sc_threshold 0)
H264_ENC=(-c:v libx264 -threads 1 -preset veryfast -crf 30 -pix_fmt yuv420p)
# No B-frames, like most cameras: storage order is presentation order.
H264=("${H264_ENC[@]}" -bf 0 "${GOP[@]}")
H265=(-c:v libx265 -preset veryfast -crf 32 -pix_fmt yuv420p "${GOP[@]}"
  -x265-params "log-level=error:pools=1:frame-threads=1:keyint=30:min-keyint=30:scenecut=0:bframes=0")
AAC=(-c:a aac -b:a 24k -ac 1 -ar 44100)
# The AAC encoder's first packet is 1024 samples of priming, stamped -23.22 ms; ffmpeg would then
# shift every track by +23 ms. Delaying the audio input by that much lets both tracks start at 0.
AAC_PRIMING=(-itsoffset 0.02322)
ALAW=(-c:a pcm_alaw -ac 1 -ar 8000)
# A new Cluster opens at each video key frame once the current one holds over 4 KB (ffmpeg's
# rule); the time limit only stops it from cutting a GOP short.
MKV=(-f matroska -cluster_time_limit 10000)

SIZE=160x120

# testsrc2 video and sine audio, `duration` seconds each.
video_in() { echo -f lavfi -i "testsrc2=size=$1:rate=15:duration=$2"; }
audio_in() { echo -f lavfi -i "sine=frequency=$1:sample_rate=$2:duration=$3"; }
aac_in() { echo "${AAC_PRIMING[@]}" $(audio_in "$1" 44100 "$2"); }

# ---------------------------------------------------------------------------------------------
# Valid files

# shellcheck disable=SC2046  # word splitting of video_in/audio_in is intended
ff $(video_in $SIZE 6) $(aac_in 440 6) "${H264[@]}" "${AAC[@]}" "${BITEXACT[@]}" "${MKV[@]}" "$TMP/h264-aac.mkv"
surgery align-clusters "$TMP/h264-aac.mkv" "$OUT/h264-aac.mkv"

ff $(video_in $SIZE 6) "${H264[@]}" "${BITEXACT[@]}" "${MKV[@]}" "$OUT/h264.mkv"

ff $(video_in $SIZE 6) "${H265[@]}" "${BITEXACT[@]}" "${MKV[@]}" "$OUT/h265.mkv"

ff $(video_in $SIZE 6) $(audio_in 440 8000 6) "${H264[@]}" "${ALAW[@]}" "${BITEXACT[@]}" "${MKV[@]}" "$TMP/h264-g711.mkv"
surgery align-clusters "$TMP/h264-g711.mkv" "$OUT/h264-g711.mkv"

# B-frames: presentation order differs from storage order inside each Cluster.
ff $(video_in $SIZE 6) "${H264_ENC[@]}" -bf 2 "${GOP[@]}" "${BITEXACT[@]}" "${MKV[@]}" "$OUT/h264-bframes.mkv"

# Cluster timecodes in epoch milliseconds (2023-11-14T22:13:20Z on), for ABSOLUTE timecode mode.
ff $(video_in $SIZE 6) "${H264[@]}" "${BITEXACT[@]}" -output_ts_offset 1700000000 "${MKV[@]}" "$OUT/h264-absolute-timecodes.mkv"

surgery unknown-sizes "$OUT/h264-aac.mkv" "$OUT/h264-unknown-size.mkv"
surgery codec-id --track 1 --codec-id V_MPEG/ISO/AVC "$OUT/h264.mkv" "$OUT/h264-v-mpeg-avc.mkv"
surgery add-tags --after all --tag camera=front --tag event=motion "$OUT/h264-aac.mkv" "$TMP/tagged.mkv"
surgery add-tags --after last --tag AWS_KINESISVIDEO_END_OF_FRAGMENT= "$TMP/tagged.mkv" "$OUT/h264-with-tags.mkv"

# ---------------------------------------------------------------------------------------------
# Malformed files: one per PutMedia ERROR ack (kvs-api.md section 3.2)

surgery garbage --bytes 4096 "$OUT/h264.mkv" "$OUT/err-4006-garbage.mkv"

# Clusters at 10 s, 12 s, 14 s; the second is then told it starts at 4 s.
ff $(video_in $SIZE 6) "${H264[@]}" "${BITEXACT[@]}" -output_ts_offset 10 "${MKV[@]}" "$TMP/offset.mkv"
surgery cluster-timecode --cluster 2 --timecode 4000 "$TMP/offset.mkv" "$OUT/err-4004-timecode-backwards.mkv"

surgery retrack --from 2 --to 3 "$OUT/h264-aac.mkv" "$OUT/err-4010-track-mismatch.mkv"

# Audio declared in Tracks but its first frame only comes at 5 s: the first Clusters lack it.
ff $(video_in $SIZE 6) -itsoffset 5 $(audio_in 440 44100 1) "${H264[@]}" "${AAC[@]}" "${BITEXACT[@]}" "${MKV[@]}" "$TMP/late-audio.mkv"
surgery align-clusters "$TMP/late-audio.mkv" "$OUT/err-4011-frames-missing.mkv"

ff $(video_in $SIZE 6) $(aac_in 440 6) $(aac_in 660 6) $(aac_in 880 6) \
  -map 0 -map 1 -map 2 -map 3 "${H264[@]}" "${AAC[@]}" "${BITEXACT[@]}" "${MKV[@]}" "$TMP/four-tracks.mkv"
surgery align-clusters "$TMP/four-tracks.mkv" "$OUT/err-4012-four-tracks.mkv"

# One key frame and one Cluster for 25 s (the limit is 20 s).
ff $(video_in 64x64 25) -c:v libx264 -threads 1 -preset veryfast -crf 40 -bf 0 -pix_fmt yuv420p -r 15 -g 1000 \
  -sc_threshold 0 "${BITEXACT[@]}" -f matroska -cluster_time_limit 60000 "$OUT/err-4002-long-fragment.mkv"

TAGS=()
for i in $(seq 1 11); do TAGS+=(--tag "key$i=value$i"); done
surgery add-tags --after 1 "${TAGS[@]}" "$OUT/h264.mkv" "$OUT/err-4009-too-many-tags.mkv"
surgery add-tags --after 1 --tag AWS_SECRET=value "$OUT/h264.mkv" "$OUT/err-4009-aws-prefix-tag.mkv"
surgery add-tags --after 1 --tag 'note=x*300' "$OUT/h264.mkv" "$OUT/err-4009-long-tag.mkv"

ls -l "$OUT"/*.mkv
