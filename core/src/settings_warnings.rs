//! Settings that are valid but risky: said next to the window's form and by `occ config set`.
//! (Invalid ones are refused by `Settings::validate`, the one validator.)

use serde::Serialize;

use crate::settings::Settings;

/// One warning about a setting, for the field named `key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub key: &'static str,
    pub message: String,
}

impl Settings {
    /// What the person should know about these (valid) settings before using them.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut out = Vec::new();
        let bind = self.bind_address;
        if !bind.is_loopback() {
            let where_ = if bind.is_unspecified() {
                format!("{bind} listens on every network interface")
            } else {
                format!("{bind} is not a loopback address")
            };
            out.push(Warning {
                key: "bind_address",
                message: format!(
                    "{where_}: the opencode session is reachable from the network, protected \
                     only by its password."
                ),
            });
        }
        if !self.require_password {
            out.push(Warning {
                key: "require_password",
                message: "The password is off: any web page open in a browser on this computer \
                          can reach opencode (DNS rebinding) and run commands in your projects. \
                          Turn it back on with `occ config set require_password true`."
                    .into(),
            });
        }
        if self.port < 1024 {
            out.push(Warning {
                key: "port",
                message: format!(
                    "Port {} is a privileged port: some systems refuse to publish it.",
                    self.port
                ),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_a_high_port_need_no_warning() {
        assert_eq!(Settings::default().warnings(), []);
    }

    #[test]
    fn the_network_and_privileged_ports_are_worth_a_word() {
        let settings = Settings {
            bind_address: "0.0.0.0".parse().expect("ip"),
            port: 80,
            ..Settings::default()
        };
        let warnings = settings.warnings();
        let keys: Vec<&str> = warnings.iter().map(|w| w.key).collect();
        assert_eq!(keys, ["bind_address", "port"]);
        assert!(
            warnings[0].message.contains("every network interface"),
            "{}",
            warnings[0].message
        );
        let lan = Settings {
            bind_address: "192.168.1.5".parse().expect("ip"),
            ..Settings::default()
        };
        assert!(lan.warnings()[0].message.contains("not a loopback address"));
        let open = Settings {
            require_password: false,
            ..Settings::default()
        };
        assert_eq!(open.warnings()[0].key, "require_password");
    }
}
