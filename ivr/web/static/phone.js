// The agent's browser phone (/phone): SIP over WebSocket to Asterisk's HTTP server, media over
// WebRTC (DTLS-SRTP), with the vendored SIP.js. Everything it needs is in #phone's data-*
// attributes (the page has no inline script: the Content-Security-Policy forbids it). The
// agent answers and hangs up with the buttons; the state it shows is the phone's own.
import { Web } from "/static/sip-0.21.2.min.js";

const box = document.getElementById("phone");
const state = document.getElementById("phone-state");
const answer = document.getElementById("phone-answer");
const hangup = document.getElementById("phone-hangup");
const words = JSON.parse(box.dataset.words);

function show(key) {
  box.dataset.state = key;
  state.textContent = words[key] || key;
  answer.disabled = key !== "ringing";
  hangup.disabled = !(key === "ringing" || key === "in_call");
}

const phone = new Web.SimpleUser(box.dataset.ws, {
  aor: `sip:${box.dataset.user}@${box.dataset.domain}`,
  media: {
    constraints: { audio: true, video: false },
    remote: { audio: document.getElementById("phone-audio") },
  },
  userAgentOptions: {
    authorizationUsername: box.dataset.user,
    authorizationPassword: box.dataset.password,
    logBuiltinEnabled: false,
  },
  delegate: {
    onRegistered: () => show("registered"),
    onUnregistered: () => show("offline"),
    onServerDisconnect: () => show("offline"),
    onCallReceived: () => show("ringing"),
    onCallAnswered: () => show("in_call"),
    onCallHangup: () => show("registered"),
  },
});

answer.addEventListener("click", async () => {
  try { await phone.answer(); show("in_call"); } catch (err) { show("error"); }
});
hangup.addEventListener("click", async () => {
  try {
    if (box.dataset.state === "ringing") { await phone.decline(); } else { await phone.hangup(); }
  } catch (err) { show("error"); }
});

// Packets received from Asterisk on the current call (a test and the agent's own check that
// the call's audio arrives).
window.phoneAudioPackets = async () => {
  const pc = phone.session?.sessionDescriptionHandler?.peerConnection;
  if (!pc) return 0;
  let packets = 0;
  (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp") packets += r.packetsReceived || 0; });
  return packets;
};

show("connecting");
phone.connect().then(() => phone.register()).catch(() => show("error"));
