//! End-to-end tests: the real server on port 0, over HTTP, on SQLite and (when
//! `ZHANYOU_TEST_POSTGRES` is set) PostgreSQL. One test binary, one module per area.

mod accounts_admin;
mod appeals;
mod durability;
mod flows;
mod identity;
mod inputs;
mod liveness;
mod ops;
mod review;
mod security;
mod staff;
mod staff_app;
mod tls;
mod yearly;
