// SIGBUS on a truncated file mapping, turned into an error the caller can report (see
// CMapGuard.h). The handler only reads a fixed table of atomics and calls mmap, which is a plain
// system call on Linux and the BSDs.
#define _GNU_SOURCE
#include "CMapGuard.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LINES_MAP_GUARD_SLOTS 4096

static _Atomic uintptr_t slot_base[LINES_MAP_GUARD_SLOTS];
static _Atomic size_t slot_length[LINES_MAP_GUARD_SLOTS];
static _Atomic long slot_faults[LINES_MAP_GUARD_SLOTS];
static _Atomic long total_faults;
static _Atomic int installed;
static struct sigaction previous;

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    for (int i = 0; i < LINES_MAP_GUARD_SLOTS; i++) {
        uintptr_t base = atomic_load_explicit(&slot_base[i], memory_order_acquire);
        if (base == 0) continue;
        size_t length = atomic_load_explicit(&slot_length[i], memory_order_relaxed);
        if (addr < base || addr >= base + length) continue;
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t start = addr & ~(page - 1);
        uintptr_t end = (base + length + page - 1) & ~(page - 1);
        // Zeros from the faulting page to the end of the mapping: the rest of the file is gone.
        void *p = mmap((void *)start, end - start, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p == MAP_FAILED) break;
        atomic_fetch_add(&slot_faults[i], 1);
        atomic_fetch_add(&total_faults, 1);
        return;
    }
    // Not one of ours: behave as before the guard was installed.
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction) { previous.sa_sigaction(sig, info, context); return; }
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN && previous.sa_handler) {
        previous.sa_handler(sig);
        return;
    }
    signal(SIGBUS, SIG_DFL); // the faulting access runs again and the default action ends the process
}

static void install(void) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&installed, &expected, 1)) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous);
}

int lines_map_guard_register(const void *base, size_t length) {
    if (!base || length == 0) return -1;
    install();
    for (int i = 0; i < LINES_MAP_GUARD_SLOTS; i++) {
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&slot_base[i], &expected, (uintptr_t)1)) { // claim the slot
            atomic_store(&slot_length[i], length);
            atomic_store(&slot_faults[i], 0);
            atomic_store_explicit(&slot_base[i], (uintptr_t)base, memory_order_release);
            return i;
        }
    }
    return -1;
}

void lines_map_guard_unregister(int slot) {
    if (slot < 0 || slot >= LINES_MAP_GUARD_SLOTS) return;
    atomic_store(&slot_base[slot], (uintptr_t)0);
}

long lines_map_guard_faults(int slot) {
    if (slot < 0 || slot >= LINES_MAP_GUARD_SLOTS) return 0;
    return atomic_load(&slot_faults[slot]);
}

long lines_map_guard_total_faults(void) { return atomic_load(&total_faults); }

void lines_map_guard_forgive(int slot) {
    if (slot < 0 || slot >= LINES_MAP_GUARD_SLOTS) return;
    long faults = atomic_exchange(&slot_faults[slot], 0);
    atomic_fetch_sub(&total_faults, faults);
}
