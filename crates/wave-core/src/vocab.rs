//! The one macro behind every closed string vocabulary of the crate (executor ids, marker
//! keywords, record enums): an enum with upstream's spellings, `ALL`, `as_str`, lenient and
//! case-insensitive parsing, `expected()` for error messages, serde and `Display`.
//!
//! `contract` keeps its own ordered variant because its parsing is deliberately exact.

/// Generates a closed string vocabulary with upstream's spellings.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in upstream's listing order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The upstream spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses a spelling after trimming and lower-casing, as upstream does.
            #[allow(dead_code)]
            pub fn parse(text: &str) -> Option<Self> {
                match text.trim().to_ascii_lowercase().as_str() {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// Parses the exact spelling, ignoring ASCII case (no trimming).
            #[allow(dead_code)]
            pub fn parse_ci(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(text))
            }

            /// The accepted spellings joined with `", "`, for error messages.
            #[allow(dead_code)]
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;
