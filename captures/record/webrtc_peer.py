"""What the aiortc recording scripts share: ICE host candidates restricted to 127.0.0.1 (aioice
skips loopback by default, and the scripts run in a netns that only has lo), a 440 Hz tone track
(Opus once encoded), and a sink that counts the frames a peer receives. Importing this module
applies the loopback restriction."""
import array, asyncio, fractions, math
import aioice.ice
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []
import av
from aiortc import MediaStreamTrack


class Tone(MediaStreamTrack):
    """20 ms frames of a 440 Hz sine at 48 kHz, paced in real time."""
    kind = "audio"

    def __init__(self):
        super().__init__(); self.pts = 0; self.start = None

    async def recv(self):
        loop = asyncio.get_event_loop()
        if self.start is None: self.start = loop.time()
        await asyncio.sleep(max(0, self.start + self.pts / 48000 - loop.time()))
        n = 960
        pcm = array.array("h", (int(8000 * math.sin(2 * math.pi * 440 * (i + self.pts) / 48000)) for i in range(n)))
        frame = av.AudioFrame(format="s16", layout="mono", samples=n)
        frame.planes[0].update(pcm.tobytes())
        frame.sample_rate = 48000; frame.pts = self.pts; frame.time_base = fractions.Fraction(1, 48000)
        self.pts += n
        return frame


def count_frames(pc, count):
    """Drains every track `pc` receives, counting frames in count["frames"]."""
    @pc.on("track")
    def on_track(track):
        async def drain():
            while True:
                try: await track.recv()
                except Exception: return
                count["frames"] += 1
        asyncio.ensure_future(drain())
