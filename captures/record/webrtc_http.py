#!/usr/bin/env python3
"""WebRTC call with HTTP signalling, after aiortc's "server" example: an aiohttp server on
http://127.0.0.1:8080 answers POST /offer (JSON {"sdp": ..., "type": "offer"}) with JSON
{"sdp": ..., "type": "answer"}; the client (caller) sends a 440 Hz tone track (Opus) for a few
seconds over DTLS-SRTP, then closes. Cleartext HTTP/1.1, one TCP connection, closed after the answer.
ICE host candidates are restricted to 127.0.0.1 (aioice skips loopback by default), no STUN server.
Usage: webrtc_http.py server | client     (run both inside a netns that only has lo; see webrtc-http-signaling.sh)"""
import asyncio, json, sys
import aiohttp
from aiohttp import web
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from webrtc_peer import Tone, count_frames

URL = "http://127.0.0.1:8080/offer"
SECONDS = 3.0

async def server():
    done = asyncio.Event(); count = {"frames": 0}
    async def offer(request):
        params = await request.json()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        count_frames(pc, count)
        @pc.on("connectionstatechange")
        async def on_state():
            if pc.connectionState in ("closed", "failed"):
                await pc.close(); done.set()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=params["sdp"], type=params["type"]))
        await pc.setLocalDescription(await pc.createAnswer())
        return web.json_response({"sdp": pc.localDescription.sdp, "type": pc.localDescription.type},
                                 headers={"Server": "teleprobe-clinic/1.0"})
    app = web.Application(); app.router.add_post("/offer", offer)
    runner = web.AppRunner(app); await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 8080).start()
    print("server listening", flush=True)
    try: await asyncio.wait_for(done.wait(), 30)
    except asyncio.TimeoutError: pass
    await asyncio.sleep(0.5)
    print("server: frames received:", count["frames"])
    await runner.cleanup()

async def client():
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTrack(Tone())
    await pc.setLocalDescription(await pc.createOffer())
    async with aiohttp.ClientSession(headers={"User-Agent": "teleprobe-patient-app/1.0"}) as s:
        async with s.post(URL, json={"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}) as r:
            answer = await r.json()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
    await asyncio.sleep(SECONDS)
    print("client: ice", pc.iceConnectionState, "connection", pc.connectionState)
    await pc.close()

asyncio.run(server() if sys.argv[1:] == ["server"] else client())
