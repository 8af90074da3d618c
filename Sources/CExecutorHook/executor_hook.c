#include "executor_hook.h"

// Defined by the Swift concurrency runtime (libswift_Concurrency). The runtime calls it with the
// Swift calling convention; for two pointer arguments and no result it passes them in the same
// registers as the C convention on the platforms LeadHub runs on (x86-64 and arm64 Linux).
extern leadhub_enqueue_hook_t swift_task_enqueueGlobal_hook;

int leadhub_install_enqueue_global_hook(leadhub_enqueue_hook_t hook) {
    if (swift_task_enqueueGlobal_hook != 0) return 0;
    swift_task_enqueueGlobal_hook = hook;
    return 1;
}
