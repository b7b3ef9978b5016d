"""Areas add demo content here: each hook is `hook(store, fresh) -> [lines to print]`."""

HOOKS = []
