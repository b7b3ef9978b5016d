// Following the presenter (同屏) in the reader. When the meeting presents this document, the
// reader follows the driver's page and zoom as each "presenter" event arrives; a member who
// scrolls or turns on their own steps away (the bar says so) and "返回同步" brings them back.
// The driver's own reader sends each turn; a reader opened late opens at the presenter's page.
// On the big screen (?screen=1) the reader always follows, and goes back to the screen page
// when the presentation stops. Used by viewer.js: follower(eventSource, #viewer).
const $ = (id) => document.getElementById(id);
const now = () => performance.timeOrigin + performance.now(); // comparable across pages of one machine

export function follower(events, box) {
  const meeting = box.dataset.meeting;
  const me = Number(box.dataset.person);
  const docId = Number(box.dataset.document);
  const screenMode = box.dataset.screen === "1";
  const bar = $("follow-bar"), label = $("follow-state"), back = $("follow-return"), open = $("follow-open");
  let state = null, reader = null, following = false, hooked = false;
  let ours = 0;        // until then, page and zoom changes are the follower's own
  let userInput = -1e9;
  let inflight = false, pending = null;
  const log = window.YishiFollowLog = []; // {seq, page, at}: what was applied or sent, for the follow-time test

  const initial = meeting
    ? fetch(`/api/v1/meetings/${meeting}/presenter`, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)).catch(() => null)
    : Promise.resolve(null);

  const mine = (s) => !!(s && s.active && s.document === docId);
  const driving = () => mine(state) && state.driver === me && !screenMode;

  function render() {
    bar.hidden = !(state && state.active);
    back.hidden = true;
    open.hidden = true;
    label.classList.remove("away");
    box.dataset.follow = !mine(state) ? "none" : driving() ? "driving" : following ? "following" : "away";
    if (!state || !state.active) { label.textContent = ""; return; }
    if (!mine(state)) {
      label.textContent = label.dataset.elsewhere;
      open.hidden = false;
      open.textContent = state.title;
      open.href = `/documents/${state.document}?meeting=${meeting}${screenMode ? "&screen=1" : ""}`;
      return;
    }
    if (driving()) { label.textContent = label.dataset.driving; return; }
    if (following) {
      label.textContent = label.dataset.following.replace("%(name)s", state.driver_name);
    } else {
      label.textContent = label.dataset.away;
      label.classList.add("away");
      back.hidden = false;
    }
  }

  function apply(s) {
    if (!reader || !reader.viewer) { return; }
    ours = performance.now() + 600;
    reader.setScale(s.scale == null ? "page-width" : s.scale);
    const page = reader.goTo(s.page);
    box.dataset.followPage = String(page);
    box.dataset.followSeq = String(s.seq);
    log.push({ seq: s.seq, page, at: now() });
  }

  function onState(s) {
    if (!s) { return; }
    if (s.active && state && state.active && s.material === state.material && s.seq < state.seq) { return; } // older
    const was = state;
    state = s;
    if (!s.active) {
      following = false;
      render();
      if (screenMode && meeting) { location.href = `/screen/${meeting}`; }
      return;
    }
    if (!mine(s)) {
      following = false;
      render();
      if (screenMode) { location.href = open.href; }
      return;
    }
    const fresh = !mine(was) || was.material !== s.material;
    if (fresh || screenMode) { following = true; } // a new presentation pulls every reader in
    render();
    if (following && !driving()) { apply(s); }
  }

  function stepAway() {
    if (following && !driving() && !screenMode) { following = false; render(); }
  }

  function sendTurn() {
    if (!driving() || !reader || !reader.viewer) { return; }
    const v = reader.viewer;
    const body = { page: v.currentPageNumber, scale: v.currentScaleValue === "page-width" ? null : Math.round(v.currentScale * 1000) / 1000 };
    if (inflight) { pending = body; return; }
    inflight = true;
    log.push({ seq: null, page: body.page, at: now(), sent: true });
    fetch(`/api/v1/meetings/${meeting}/presenter/turn`, {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    }).then((r) => r.json().then((data) => {
      if (!r.ok) { label.textContent = (data.error && data.error.message) || r.statusText; return; }
      if (data.seq > state.seq) { state = data; }
    })).catch(() => {}).finally(() => {
      inflight = false;
      if (pending) { pending = null; sendTurn(); }
    });
  }

  events.addEventListener("presenter", (ev) => onState(JSON.parse(ev.data)));
  back.addEventListener("click", () => { following = true; render(); apply(state); });
  for (const id of ["zoom-in", "zoom-out", "fit-width", "page-prev", "page-next"]) {
    $(id).addEventListener("click", () => { if (!driving()) { stepAway(); } });
  }
  $("page-form").addEventListener("submit", () => { if (!driving()) { stepAway(); } });
  const container = $("viewer-container");
  for (const type of ["wheel", "touchmove", "keydown", "pointerdown"]) {
    container.addEventListener(type, () => { userInput = performance.now(); }, { passive: true });
  }

  return {
    // The page to open at: the presenter's, for a reader that joins while this is presented.
    async startPage() {
      const s = await initial;
      if (s && !state) {
        state = s;
        following = mine(s) && !driving();
        render();
      }
      return mine(state) && !driving() && following ? state.page : 0;
    },
    attach(r) {
      reader = r;
      if (!hooked) {
        hooked = true;
        r.eventBus.on("pagechanging", (ev) => {
          if (driving()) { sendTurn(); return; }
          const mineNow = performance.now() < ours;
          if (following && !mineNow && ev.pageNumber !== state.page && performance.now() - userInput < 1500) { stepAway(); }
          if (mineNow) { log.push({ seq: state && state.seq, page: ev.pageNumber, at: now(), shown: true }); }
        });
        r.eventBus.on("scalechanging", () => { if (driving() && performance.now() >= ours) { sendTurn(); } });
      }
      if (following && !driving()) { apply(state); }
      render();
    },
  };
}
