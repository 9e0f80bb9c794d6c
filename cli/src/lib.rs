//! iamlog-cli: the commands behind the `iamlog` binary, as library functions returning exit codes.
