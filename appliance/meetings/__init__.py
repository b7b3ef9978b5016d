"""The meeting room (会议室): meetings and their agenda, materials, sign-in and quorum, polls,
the big screen, minutes and recall. Domain functions here take a store and plain values;
views and the API are thin, and `notify` pushes what changed to tablets and screens."""
