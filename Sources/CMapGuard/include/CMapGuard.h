#ifndef LINES_MAP_GUARD_H
#define LINES_MAP_GUARD_H

#include <stddef.h>

/// Registers a read-only file mapping [base, base + length) with the SIGBUS guard (installed on
/// the first call). When the file shrinks while mapped, a read past its new end raises SIGBUS;
/// inside a registered mapping the guard maps zero pages over the rest of it, counts the fault
/// and lets the read go on, so the caller can report the truncation instead of dying.
/// Returns a slot (>= 0), or -1 when every slot is taken (the mapping is then unguarded).
int lines_map_guard_register(const void *base, size_t length);

/// Forgets a slot (before its mapping is unmapped).
void lines_map_guard_unregister(int slot);

/// How many SIGBUS faults the guard absorbed in this slot.
long lines_map_guard_faults(int slot);

/// How many SIGBUS faults the guard absorbed in the whole process.
long lines_map_guard_total_faults(void);
/// Clears a slot's faults (and takes them off the process's total): for a reader that dropped
/// everything it read from the mapping.
void lines_map_guard_forgive(int slot);

#endif
