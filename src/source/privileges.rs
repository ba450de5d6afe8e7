//! Dropping root after the capture handle is open (like `tcpdump -Z`), so
//! parsing untrusted packets runs without privileges. This is the only
//! `unsafe` in teleprobe: plain libc calls whose results are all checked.

/// Switches to `user`: supplementary groups cleared, then group, then user.
pub fn drop_privileges(user: &str) -> Result<(), String> {
    let name = std::ffi::CString::new(user).map_err(|_| format!("invalid user name {user:?}"))?;
    // SAFETY: getpwnam returns a pointer to static storage or null; we read it at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        return Err(format!(
            "no such user {user}; pass an existing account to --user"
        ));
    }
    // SAFETY: pw is non-null and points to a valid passwd entry.
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    // SAFETY: plain system calls with valid arguments; failures are checked.
    let failed = unsafe {
        libc::setgroups(0, std::ptr::null()) != 0
            || libc::setgid(gid) != 0
            || libc::setuid(uid) != 0
    };
    if failed {
        return Err(format!(
            "cannot switch to user {user}: {}; run as root to use --user",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}
