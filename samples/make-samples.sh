#!/bin/sh
# Regenerates the sample calls used by `npm run simulate` (needs espeak-ng, sox and ffmpeg:
# `apt-get install espeak-ng sox ffmpeg`). Synthetic dispatcher speech, band-limited like a radio,
# named the way each recorder names its files. The manifest (calls.json) describes each one.
set -eu
cd "$(dirname "$0")"
say() { # say <out.wav> <voice> <text>
	espeak-ng -v "$2" -s 165 -w /tmp/squelch-sample.wav "$3"
	sox /tmp/squelch-sample.wav -r 8000 -c 1 -b 16 "$1" highpass 300 lowpass 3000 gain -n -3
}
mp3() { ffmpeg -loglevel error -y -i "$1" -ac 1 -ar 16000 -b:a 24k "$2" && rm "$1"; }
m4a() { ffmpeg -loglevel error -y -i "$1" -ac 1 -ar 8000 -c:a aac -b:a 16k "$2" && rm "$1"; }

say 101-1718145600_851012500-call_1.wav en-us "Engine five, Ladder two, respond to four twelve Oak Street for a reported structure fire."
say 102-1718145630_851262500-call_2.wav en-us+m3 "Command, Engine five on scene. Two story residential, nothing showing. Investigating."
say 201-1718145660_852012500-call_3.wav en-us+f2 "North units, be advised, traffic stop at Main and Fifth, one occupant, plate on file."
say tmp301.wav en-us+f3 "Medic twelve, respond priority one to the public library, a fall with a head injury."
m4a tmp301.wav 301-1718145690.250_852512500-call_4.m4a
say tmp9001.wav en-gb "Ground, tug seven, requesting crossing at taxiway bravo, southbound."
m4a tmp9001.wav 9001-1718145720.500_460125000-call_5.m4a
say tmp5001.wav en-us+m5 "Public works two, water main break reported on Lake Drive, near the marina."
mp3 tmp5001.wav 20240615_143022.123.mp3
say tmp5002.wav en-us+m2 "Lakeside fourteen, copy. Show me en route, E T A four minutes."
mp3 tmp5002.wav 20240615_143105.456.mp3
say tmp5003.wav en-us+f4 "Lakeside Fire, Rescue three is returning to quarters and available."
mp3 tmp5003.wav 20240615_143140.789.mp3
rm -f /tmp/squelch-sample.wav
