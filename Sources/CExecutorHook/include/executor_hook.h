#ifndef LEADHUB_EXECUTOR_HOOK_H
#define LEADHUB_EXECUTOR_HOOK_H

/// A Swift Concurrency job, as the runtime hands it to the global executor hook.
typedef void (*leadhub_enqueue_original_t)(void *job);
typedef void (*leadhub_enqueue_hook_t)(void *job, leadhub_enqueue_original_t original);

/// Sets the Swift runtime's `swift_task_enqueueGlobal_hook` (all global-executor jobs go to
/// `hook`) unless something set it already. Returns 1 when set. The symbol is resolved when the
/// binary is linked, so this works with the runtime linked statically too (where it is hidden
/// from `dlsym`).
int leadhub_install_enqueue_global_hook(leadhub_enqueue_hook_t hook);

#endif
