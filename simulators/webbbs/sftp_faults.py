"""Fault profiles of the WebBBS SFTP channel: each breaks exactly one requirement of the catalogue."""

from payercert.simulation import Fault

SFTP_FAULTS = (
    Fault("sftp-upload-dir-missing", "WEBBBS-SFTP-2", "the Trading Partner's home has no upload/ folder"),
    Fault("sftp-expired-password-accepted", "WEBBBS-PASSWORD-8", "logs in with a password older than 90 days"),
    Fault(
        "sftp-outside-home-served",
        "WEBBBS-SFTP-8",
        "serves paths outside /home/edi/<TPID>: the root, /home/edi and other partners' homes",
    ),
    Fault("sftp-any-password-accepted", "WEBBBS-SFTP-1", "logs a Trading Partner in whatever the password"),
    Fault("sftp-no-response-file", "WEBBBS-SFTP-3", "accepts an X12 upload but puts no answer in download/"),
    Fault("ftp-greeting-served", "WEBBBS-SFTP-5", "the SFTP host still answers like an FTP server on the FTP port"),
    Fault("sftp-any-file-kept", "WEBBBS-SFTP-4", "keeps a file put in upload/ that is no X12 interchange"),
    Fault("sftp-passwd-served", "WEBBBS-SFTP-6", "runs commands over SSH: passwd changes the password"),
)
