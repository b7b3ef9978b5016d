// Following the presenter (同屏) in the reader: filled in by the presenter work.
export function follower(events, box) {
  return { startPage: async () => 0, attach() {} };
}
