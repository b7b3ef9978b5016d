"""Pure domain rules: plain values in, plain values out. No Flask, no store, no clock."""
