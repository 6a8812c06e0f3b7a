//! Integration tests for yoi-host-apis. Everything runs offline: test servers
//! listen on 127.0.0.1 only, and names resolve through injected resolvers.

mod dns;
mod fs;
mod https;
mod policies;
mod server;
mod smuggling;
mod wit;
