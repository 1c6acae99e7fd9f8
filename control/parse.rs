// SPDX-License-Identifier: GPL-2.0

//! The control commands and their parser: one line, one command, checked in full before
//! anything runs.

use super::zerocheck::{self, Check};
#[cfg(not(rsh_legacy))]
use crate::bench::Workload;
use crate::{
    cache::{parse_usize, CacheName, CacheSpec},
    control::harden::{BadFreeKind, DebugCheck},
    ffi::nodes::NodeId,
};
use kernel::prelude::*;

/// The most objects one command may allocate or free.
pub(crate) const MAX_COUNT: usize = 65536;

/// The longest `hold_event`, in milliseconds: well below the hung-task detector's 60 s.
const MAX_HOLD_MS: usize = 10_000;

/// The longest `hold_stash`, in milliseconds: as long as `hold_event`.
const MAX_HOLD_STASH_MS: usize = MAX_HOLD_MS;

/// What reading `control` shows.
pub(crate) const HELP: &str = "\
create  <name> <size> <align> [FZP]
destroy <name>
alloc   <cache> <node|any|cpu> <n> [strict]
free    <cache> <node|any> <n|all>
shrink  <cache|all>
verify  [cache]
churn   <cache> <n> [node]
bench   <pair|batch64|batch4096|pair2|cross|remote<node>> <size> <iters> <reps>
statread <cache> <idle|locked> <n>
hold_stash <cache> <ms>
skip_adding <node>
hold_event <ms>
locked_read <cache>
corrupt_freeptr <cache>   (kernels with CONFIG_SLAB_FREELIST_HARDENED)
bad_free <cache> <double|wild|interior|header|kmalloc|stack|other|released|older>
debugcheck <cache> <overrun <n>|underrun <n>|uaf>
zerocheck <cache> <fast|slow|raw|node<N>|zfast|zslow|zraw|znode<N>> <n>
";

/// A node argument.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum NodeArg {
    /// Any node.
    Any,
    /// Whatever node the CPU stash's objects are on (`alloc` only).
    Cpu,
    /// This node.
    Node(NodeId),
}

/// A parsed command (see the table in [`crate::control`]).
#[derive(Debug, PartialEq)]
pub(crate) enum Command {
    Create(CacheSpec),
    Destroy(CacheName),
    Alloc {
        cache: CacheName,
        node: NodeArg,
        count: usize,
        strict: bool,
    },
    Free {
        cache: CacheName,
        node: NodeArg,
        count: Option<usize>,
    },
    Shrink(Option<CacheName>),
    Verify(Option<CacheName>),
    Churn(CacheName, usize, Option<NodeId>),
    SkipAdding(NodeId),
    HoldStash(CacheName, u32),
    HoldEvent(u32),
    LockedRead(CacheName),
    #[cfg(CONFIG_SLAB_FREELIST_HARDENED)]
    CorruptFreeptr(CacheName),
    BadFree(CacheName, BadFreeKind),
    DebugCheck(CacheName, DebugCheck),
    ZeroCheck(CacheName, Check, usize),
    // The benchmark needs kernel threads and completions: 7.x only.
    #[cfg(not(rsh_legacy))]
    Bench {
        workload: Workload,
        name: [u8; 16],
        size: usize,
        iters: usize,
        reps: usize,
    },
    #[cfg(not(rsh_legacy))]
    StatRead(CacheName, bool, usize),
}

/// `any` or a node number below `nr_node_ids`.
fn parse_node(word: &[u8]) -> Result<NodeArg> {
    if word == b"any" {
        return Ok(NodeArg::Any);
    }
    let n = parse_usize(word)?;
    NodeId::new(n as u64).map(NodeArg::Node).ok_or(EINVAL)
}

/// A count from 1 to [`MAX_COUNT`].
fn parse_count(word: &[u8]) -> Result<usize> {
    match parse_usize(word)? {
        n @ 1..=MAX_COUNT => Ok(n),
        _ => Err(EINVAL),
    }
}

/// Milliseconds from `min` to `max` (at most [`MAX_HOLD_MS`], so a `u32`).
fn parse_ms(word: &[u8], min: usize, max: usize) -> Result<u32> {
    match parse_usize(word)? {
        ms if (min..=max).contains(&ms) => u32::try_from(ms).map_err(|_| EINVAL),
        _ => Err(EINVAL),
    }
}

impl Command {
    /// Parses one command line; a single trailing newline is allowed.
    pub(crate) fn parse(line: &[u8]) -> Result<Self> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if !line.iter().all(|&c| c == b' ' || c.is_ascii_graphic()) {
            return Err(EINVAL);
        }
        let mut args: [&[u8]; 6] = [b""; 6];
        let mut n = 0;
        for w in line.split(|&c| c == b' ').filter(|w| !w.is_empty()) {
            *args.get_mut(n).ok_or(EINVAL)? = w;
            n += 1;
        }
        let cmd = match (args[0], n) {
            (b"create", 4 | 5) => Self::create(&args[1..n])?,
            (b"destroy", 2) => Self::Destroy(CacheName::new(args[1])?),
            (b"alloc", 4 | 5) => Self::alloc(&args[1..n])?,
            (b"free", 4) => Self::Free {
                cache: CacheName::new(args[1])?,
                node: parse_node(args[2])?,
                count: match args[3] {
                    b"all" => None,
                    word => Some(parse_count(word)?),
                },
            },
            (b"shrink", 2) if args[1] == b"all" => Self::Shrink(None),
            (b"shrink", 2) => Self::Shrink(Some(CacheName::new(args[1])?)),
            (b"verify", 1) => Self::Verify(None),
            (b"verify", 2) => Self::Verify(Some(CacheName::new(args[1])?)),
            (b"churn", 3) => Self::Churn(CacheName::new(args[1])?, parse_count(args[2])?, None),
            (b"churn", 4) => match parse_node(args[3])? {
                NodeArg::Node(nid) => {
                    Self::Churn(CacheName::new(args[1])?, parse_count(args[2])?, Some(nid))
                }
                _ => return Err(EINVAL),
            },
            (b"hold_stash", 3) => Self::HoldStash(
                CacheName::new(args[1])?,
                parse_ms(args[2], 1, MAX_HOLD_STASH_MS)?,
            ),
            (b"skip_adding", 2) => match parse_node(args[1])? {
                NodeArg::Node(nid) => Self::SkipAdding(nid),
                _ => return Err(EINVAL),
            },
            (b"hold_event", 2) => Self::HoldEvent(parse_ms(args[1], 0, MAX_HOLD_MS)?),
            (b"locked_read", 2) => Self::LockedRead(CacheName::new(args[1])?),
            #[cfg(CONFIG_SLAB_FREELIST_HARDENED)]
            (b"corrupt_freeptr", 2) => Self::CorruptFreeptr(CacheName::new(args[1])?),
            (b"bad_free", 3) => {
                Self::BadFree(CacheName::new(args[1])?, BadFreeKind::parse(args[2])?)
            }
            (b"debugcheck", 3 | 4) => {
                Self::DebugCheck(CacheName::new(args[1])?, DebugCheck::parse(&args[2..n])?)
            }
            (b"zerocheck", 4) => Self::ZeroCheck(
                CacheName::new(args[1])?,
                Check::parse(args[2])?,
                match parse_usize(args[3])? {
                    n @ 1..=zerocheck::MAX_OBJECTS => n,
                    _ => return Err(EINVAL),
                },
            ),
            #[cfg(not(rsh_legacy))]
            (b"bench", 5) => Self::bench(&args[1..5])?,
            #[cfg(not(rsh_legacy))]
            (b"statread", 4) => Self::StatRead(
                CacheName::new(args[1])?,
                match args[2] {
                    b"idle" => false,
                    b"locked" => true,
                    _ => return Err(EINVAL),
                },
                parse_usize(args[3])?,
            ),
            _ => return Err(EINVAL),
        };
        Ok(cmd)
    }

    /// `create <name> <size> <align> [flags]` (`parts` without the command word), checked as a
    /// `caches=` entry is.
    fn create(parts: &[&[u8]]) -> Result<Self> {
        // Name, two numbers of at most 19 digits, three debug letters, three colons.
        let mut buf = [0u8; crate::cache::MAX_NAME + 2 * 19 + 3 + 3];
        let mut len = 0;
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                *buf.get_mut(len).ok_or(EINVAL)? = b':';
                len += 1;
            }
            buf.get_mut(len..len + part.len())
                .ok_or(EINVAL)?
                .copy_from_slice(part);
            len += part.len();
        }
        Ok(Self::Create(CacheSpec::parse(&buf[..len])?))
    }

    /// `alloc <cache> <node|any|cpu> <n> [strict]` (`args` without the command word).
    fn alloc(args: &[&[u8]]) -> Result<Self> {
        let strict = match args.get(3) {
            None => false,
            Some(&b"strict") => true,
            Some(_) => return Err(EINVAL),
        };
        let [cache, node, count, ..] = args else {
            return Err(EINVAL);
        };
        let node = match *node {
            b"cpu" => NodeArg::Cpu,
            word => parse_node(word)?,
        };
        // Only a given node can be strict.
        if strict && !matches!(node, NodeArg::Node(_)) {
            return Err(EINVAL);
        }
        Ok(Self::Alloc {
            cache: CacheName::new(cache)?,
            node,
            count: parse_count(count)?,
            strict,
        })
    }

    /// `bench <workload> <size> <iters> <reps>` (`args` without the command word).
    #[cfg(not(rsh_legacy))]
    fn bench(args: &[&[u8]]) -> Result<Self> {
        let [workload, size, iters, reps] = args else {
            return Err(EINVAL);
        };
        let mut name = [0u8; 16];
        name.get_mut(..workload.len())
            .ok_or(EINVAL)?
            .copy_from_slice(workload);
        Ok(Self::Bench {
            workload: Workload::parse(workload)?,
            name,
            size: parse_usize(size)?,
            iters: parse_usize(iters)?,
            reps: parse_usize(reps)?,
        })
    }
}

#[cfg(not(rsh_legacy))]
#[kernel::macros::kunit_tests(rust_slab_hp_control_parse)]
mod tests {
    use super::*;

    #[test]
    fn accepted_commands() -> Result {
        let (hp64, hp8) = (CacheName::new(b"hp-64")?, CacheName::new(b"hp-8")?);
        let n0 = NodeId::new(0).ok_or(EINVAL)?;
        assert_eq!(
            Command::parse(b"alloc hp-64 0 10 strict\n"),
            Ok(Command::Alloc {
                cache: hp64,
                node: NodeArg::Node(n0),
                count: 10,
                strict: true
            })
        );
        assert_eq!(
            Command::parse(b"  alloc   hp-64  cpu  65536 "),
            Ok(Command::Alloc {
                cache: hp64,
                node: NodeArg::Cpu,
                count: MAX_COUNT,
                strict: false
            })
        );
        assert_eq!(
            Command::parse(b"free hp-64 any all"),
            Ok(Command::Free {
                cache: hp64,
                node: NodeArg::Any,
                count: None
            })
        );
        assert_eq!(Command::parse(b"shrink all"), Ok(Command::Shrink(None)));
        assert_eq!(Command::parse(b"verify"), Ok(Command::Verify(None)));
        assert_eq!(
            Command::parse(b"churn hp-8 1 0"),
            Ok(Command::Churn(hp8, 1, Some(n0)))
        );
        assert_eq!(Command::parse(b"hold_event 0"), Ok(Command::HoldEvent(0)));
        assert_eq!(
            Command::parse(b"hold_event 10000"),
            Ok(Command::HoldEvent(10_000))
        );
        assert_eq!(
            Command::parse(b"hold_stash hp-8 10000"),
            Ok(Command::HoldStash(hp8, 10_000))
        );
        assert_eq!(
            Command::parse(b"zerocheck hp-8 znode0 2048"),
            Ok(Command::ZeroCheck(hp8, Check::parse(b"znode0")?, 2048))
        );
        assert!(matches!(
            Command::parse(b"create c 32768 4096"),
            Ok(Command::Create(_))
        ));
        assert!(matches!(
            Command::parse(b"create c 64 8 FZP"),
            Ok(Command::Create(_))
        ));
        assert_eq!(
            Command::parse(b"debugcheck hp-8 overrun 8"),
            Ok(Command::DebugCheck(hp8, DebugCheck::Overrun(8)))
        );
        assert_eq!(
            Command::parse(b"debugcheck hp-8 uaf"),
            Ok(Command::DebugCheck(hp8, DebugCheck::Uaf))
        );
        assert!(matches!(
            Command::parse(b"bench pair 32 100 3"),
            Ok(Command::Bench { .. })
        ));
        Ok(())
    }

    #[test]
    fn refused_commands() {
        for bad in [
            &b""[..],
            b"\n",
            b"nosuch",
            b"create a 64",
            b"create a 64 8 extra",
            b"create a 64 3",
            b"create a 7 8",
            b"create .a 64 8",
            b"create a 64 8 FF",
            b"create a 64 8 X",
            b"create a 64 8 FZP extra",
            b"debugcheck hp-64 overrun 0",
            b"debugcheck hp-64 overrun 9",
            b"debugcheck hp-64 underrun",
            b"debugcheck hp-64 uaf 1",
            b"debugcheck hp-64 other",
            b"alloc hp-64 0 0",
            b"alloc hp-64 0 65537",
            b"alloc hp-64 any 1 strict",
            b"alloc hp-64 cpu 1 strict",
            b"alloc hp-64 0 1 loose",
            b"alloc hp-64 9999 1",
            b"alloc hp-64 -1 1",
            b"free hp-64 cpu 1",
            b"free hp-64 0 0",
            b"shrink",
            b"verify a b",
            b"churn hp-64 0",
            b"churn hp-64 10 any",
            b"hold_event 10001",
            b"hold_stash hp-64 0",
            b"skip_adding any",
            b"alloc hp-64 0 1\n\n",
            b"alloc\thp-64 0 1",
            b"alloc hp-64 0 1 strict x y",
            b"bench nosuch 32 100 3",
            b"zerocheck hp-64 fast 0",
            b"zerocheck hp-64 fast 2049",
            b"zerocheck hp-64 quick 10",
            b"zerocheck hp-64 nodex 10",
            b"zerocheck hp-64 node 10",
            b"zerocheck hp-64 zz 10",
            b"zerocheck hp-64 fast",
            b"bench averyveryverylongworkloadname 32 100 3",
        ] {
            assert!(Command::parse(bad).is_err());
        }
    }
}
