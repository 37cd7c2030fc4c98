//! Connectors: Agora's side of the outside world. Each connector registers
//! job handlers; the core records an intent (a job), a worker hands it to the
//! network here. Today: e-mail over SMTP. The publishing issue adds networks.

pub mod email;
pub mod networks;
pub mod publishing;
