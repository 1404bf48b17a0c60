/* A stand-in for Windows' bcryptprimitives.dll, for Wine only (scripts/lib/wine.sh
 * builds it and puts it in the test prefix's system32; it is never shipped).
 *
 * Rust's standard library on Windows gets its random bytes (the seeds of HashMap,
 * among others) from ProcessPrng in bcryptprimitives.dll, which Windows 10 and
 * later have and Wine 8 (Debian 12) lacks: without this file every Rust program
 * stops at start-up with STATUS_DLL_NOT_FOUND. ProcessPrng here asks Wine's
 * BCryptGenRandom (bcrypt.dll, the system's generator) for the same bytes.
 * ProcessPrng is documented to always succeed; this one returns FALSE if
 * BCryptGenRandom ever fails, which std treats as fatal, as it should. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
