//! Well-known finite-field Diffie-Hellman primes, to tell a server's DHE prime from a
//! shared one. A prime used by many servers is worth a one-time precomputation of the
//! number field sieve, after which each key exchange with it breaks cheaply (Logjam,
//! "Imperfect Forward Secrecy", 2015): done for 512 bits, estimated within reach of a
//! state for 1024 bits, far out of reach at 2048 bits and more.
//!
//! Sources: the RFC 2409 and RFC 3526 MODP primes are 2^n - 2^(n-64) - 1 +
//! 2^64 * (floor(2^(n-130) * pi) + k), and the RFC 7919 primes the same with e; the
//! values below were computed from those formulas and checked equal, for every
//! group OpenSSL names, to `openssl genpkey -genparam -algorithm DH -pkeyopt
//! group:NAME` (modp_1536 .. modp_8192, ffdhe2048 .. ffdhe8192); the RFC 5114 primes
//! are OpenSSL's dh_1024_160, dh_2048_224 and dh_2048_256. Apache mod_ssl 2.2's and
//! Java's built-in 1024-bit primes, which Logjam also found widely shared, are not
//! listed: no copy from a source we can check was at hand.

/// One shared prime.
pub struct KnownPrime {
    /// How to name it in a report, e.g. "RFC 7919 ffdhe2048".
    pub name: &'static str,
    /// A safe prime ((p-1)/2 prime). RFC 5114's are not: a peer must check that
    /// public values lie in the subgroup (CVE-2016-0701).
    pub safe: bool,
    /// The prime, big-endian hex without leading zeros.
    pub hex: &'static str,
}

impl KnownPrime {
    #[cfg(test)]
    pub fn bits(&self) -> usize {
        let lead = self
            .hex
            .chars()
            .next()
            .and_then(|c| c.to_digit(16))
            .unwrap_or(0);
        (self.hex.len() - 1) * 4 + (32 - lead.leading_zeros() as usize)
    }

    fn matches(&self, p: &[u8]) -> bool {
        p.len() * 2 == self.hex.len()
            && p.iter().zip(self.hex.as_bytes().chunks(2)).all(|(b, h)| {
                std::str::from_utf8(h)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    == Some(*b)
            })
    }
}

/// The well-known prime equal to `p` (big-endian, no leading zero bytes), if any.
pub fn lookup(p: &[u8]) -> Option<&'static KnownPrime> {
    KNOWN.iter().find(|k| k.matches(p))
}

pub const KNOWN: &[KnownPrime] = &[
    // 768-bit MODP group of RFC 2409, 6.1 (Oakley group 1).
    KnownPrime {
        name: "RFC 2409 Oakley group 1",
        safe: true,
        hex: concat!(
            "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22",
            "514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6",
            "f44c42e9a63a3620ffffffffffffffff",
        ),
    },
    // 1024-bit MODP group of RFC 2409, 6.2 (Oakley group 2).
    KnownPrime {
        name: "RFC 2409 Oakley group 2",
        safe: true,
        hex: concat!(
            "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22",
            "514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6",
            "f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381",
            "ffffffffffffffff",
        ),
    },
    // 1024-bit MODP group with 160-bit subgroup of RFC 5114, 2.1.
    KnownPrime {
        name: "RFC 5114 1024-bit group",
        safe: false,
        hex: concat!(
            "b10b8f96a080e01dde92de5eae5d54ec52c99fbcfb06a3c69a6a9dca52d23b616073e28675a23d18",
            "9838ef1e2ee652c013ecb4aea906112324975c3cd49b83bfaccbdd7d90c4bd7098488e9c219a7372",
            "4effd6fae5644738faa31a4ff55bccc0a151af5f0dc8b4bd45bf37df365c1a65e68cfda76d4da708",
            "df1fb2bc2e4a4371",
        ),
    },
    // 1536-bit MODP group of RFC 3526, 2 (group 5).
    KnownPrime {
        name: "RFC 3526 group 5",
        safe: true,
        hex: concat!(
            "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22",
            "514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6",
            "f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3d",
            "c2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb",
            "9ed529077096966d670c354e4abc9804f1746c08ca237327ffffffffffffffff",
        ),
    },
    // 2048-bit MODP group of RFC 3526, 3 (group 14).
    KnownPrime {
        name: "RFC 3526 group 14",
        safe: true,
        hex: concat!(
            "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22",
            "514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6",
            "f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3d",
            "c2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb",
            "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e8603",
            "9b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510",
            "15728e5a8aacaa68ffffffffffffffff",
        ),
    },
    // 2048-bit MODP group with 224-bit subgroup of RFC 5114, 2.2.
    KnownPrime {
        name: "RFC 5114 2048-bit group (224-bit subgroup)",
        safe: false,
        hex: concat!(
            "ad107e1e9123a9d0d660faa79559c51fa20d64e5683b9fd1b54b1597b61d0a75e6fa141df95a56db",
            "af9a3c407ba1df15eb3d688a309c180e1de6b85a1274a0a66d3f8152ad6ac2129037c9edefda4df8",
            "d91e8fef55b7394b7ad5b7d0b6c12207c9f98d11ed34dbf6c6ba0b2c8bbc27be6a00e0a0b9c49708",
            "b3bf8a317091883681286130bc8985db1602e714415d9330278273c7de31efdc7310f7121fd5a074",
            "15987d9adc0a486dcdf93acc44328387315d75e198c641a480cd86a1b9e587e8be60e69cc928b2b9",
            "c52172e413042e9b23f10b0e16e79763c9b53dcf4ba80a29e3fb73c16b8e75b97ef363e2ffa31f71",
            "cf9de5384e71b81c0ac4dffe0c10e64f",
        ),
    },
    // 2048-bit MODP group with 256-bit subgroup of RFC 5114, 2.3.
    KnownPrime {
        name: "RFC 5114 2048-bit group (256-bit subgroup)",
        safe: false,
        hex: concat!(
            "87a8e61db4b6663cffbbd19c651959998ceef608660dd0f25d2ceed4435e3b00e00df8f1d61957d4",
            "faf7df4561b2aa3016c3d91134096faa3bf4296d830e9a7c209e0c6497517abd5a8a9d306bcf67ed",
            "91f9e6725b4758c022e0b1ef4275bf7b6c5bfc11d45f9088b941f54eb1e59bb8bc39a0bf12307f5c",
            "4fdb70c581b23f76b63acae1caa6b7902d52526735488a0ef13c6d9a51bfa4ab3ad8347796524d8e",
            "f6a167b5a41825d967e144e5140564251ccacb83e6b486f6b3ca3f7971506026c0b857f689962856",
            "ded4010abd0be621c3a3960a54e710c375f26375d7014103a4b54330c198af126116d2276e11715f",
            "693877fad7ef09cadb094ae91e1a1597",
        ),
    },
    // 3072-bit MODP group of RFC 3526, 4 (group 15).
    KnownPrime {
        name: "RFC 3526 group 15",
        safe: true,
        hex: concat!(
            "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22",
            "514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6",
            "f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3d",
            "c2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb",
            "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e8603",
            "9b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510",
            "15728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7d",
            "b3970f85a6e1e4c7abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864",
            "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e208e24fa074e5ab31",
            "43db5bfce0fd108e4b82d120a93ad2caffffffffffffffff",
        ),
    },
    // 4096-bit MODP group of RFC 3526, 5 (group 16).
    KnownPrime {
        name: "RFC 3526 group 16",
        safe: true,
        hex: concat!(
            "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22",
            "514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6",
            "f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3d",
            "c2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb",
            "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e8603",
            "9b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510",
            "15728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7d",
            "b3970f85a6e1e4c7abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864",
            "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e208e24fa074e5ab31",
            "43db5bfce0fd108e4b82d120a92108011a723c12a787e6d788719a10bdba5b2699c327186af4e23c",
            "1a946834b6150bda2583e9ca2ad44ce8dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d",
            "99b2964fa090c3a2233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9",
            "93b4ea988d8fddc186ffb7dc90a6c08f4df435c934063199ffffffffffffffff",
        ),
    },
    // 6144-bit MODP group of RFC 3526, 6 (group 17).
    KnownPrime {
        name: "RFC 3526 group 17",
        safe: true,
        hex: concat!(
            "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22",
            "514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6",
            "f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3d",
            "c2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb",
            "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e8603",
            "9b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510",
            "15728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7d",
            "b3970f85a6e1e4c7abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864",
            "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e208e24fa074e5ab31",
            "43db5bfce0fd108e4b82d120a92108011a723c12a787e6d788719a10bdba5b2699c327186af4e23c",
            "1a946834b6150bda2583e9ca2ad44ce8dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d",
            "99b2964fa090c3a2233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9",
            "93b4ea988d8fddc186ffb7dc90a6c08f4df435c93402849236c3fab4d27c7026c1d4dcb2602646de",
            "c9751e763dba37bdf8ff9406ad9e530ee5db382f413001aeb06a53ed9027d831179727b0865a8918",
            "da3edbebcf9b14ed44ce6cbaced4bb1bdb7f1447e6cc254b332051512bd7af426fb8f401378cd2bf",
            "5983ca01c64b92ecf032ea15d1721d03f482d7ce6e74fef6d55e702f46980c82b5a84031900b1c9e",
            "59e7c97fbec7e8f323a97a7e36cc88be0f1d45b7ff585ac54bd407b22b4154aacc8f6d7ebf48e1d8",
            "14cc5ed20f8037e0a79715eef29be32806a1d58bb7c5da76f550aa3d8a1fbff0eb19ccb1a313d55c",
            "da56c9ec2ef29632387fe8d76e3c0468043e8f663f4860ee12bf2d5b0b7474d6e694f91e6dcc4024",
            "ffffffffffffffff",
        ),
    },
    // 8192-bit MODP group of RFC 3526, 7 (group 18).
    KnownPrime {
        name: "RFC 3526 group 18",
        safe: true,
        hex: concat!(
            "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22",
            "514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6",
            "f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3d",
            "c2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb",
            "9ed529077096966d670c354e4abc9804f1746c08ca18217c32905e462e36ce3be39e772c180e8603",
            "9b2783a2ec07a28fb5c55df06f4c52c9de2bcbf6955817183995497cea956ae515d2261898fa0510",
            "15728e5a8aaac42dad33170d04507a33a85521abdf1cba64ecfb850458dbef0a8aea71575d060c7d",
            "b3970f85a6e1e4c7abf5ae8cdb0933d71e8c94e04a25619dcee3d2261ad2ee6bf12ffa06d98a0864",
            "d87602733ec86a64521f2b18177b200cbbe117577a615d6c770988c0bad946e208e24fa074e5ab31",
            "43db5bfce0fd108e4b82d120a92108011a723c12a787e6d788719a10bdba5b2699c327186af4e23c",
            "1a946834b6150bda2583e9ca2ad44ce8dbbbc2db04de8ef92e8efc141fbecaa6287c59474e6bc05d",
            "99b2964fa090c3a2233ba186515be7ed1f612970cee2d7afb81bdd762170481cd0069127d5b05aa9",
            "93b4ea988d8fddc186ffb7dc90a6c08f4df435c93402849236c3fab4d27c7026c1d4dcb2602646de",
            "c9751e763dba37bdf8ff9406ad9e530ee5db382f413001aeb06a53ed9027d831179727b0865a8918",
            "da3edbebcf9b14ed44ce6cbaced4bb1bdb7f1447e6cc254b332051512bd7af426fb8f401378cd2bf",
            "5983ca01c64b92ecf032ea15d1721d03f482d7ce6e74fef6d55e702f46980c82b5a84031900b1c9e",
            "59e7c97fbec7e8f323a97a7e36cc88be0f1d45b7ff585ac54bd407b22b4154aacc8f6d7ebf48e1d8",
            "14cc5ed20f8037e0a79715eef29be32806a1d58bb7c5da76f550aa3d8a1fbff0eb19ccb1a313d55c",
            "da56c9ec2ef29632387fe8d76e3c0468043e8f663f4860ee12bf2d5b0b7474d6e694f91e6dbe1159",
            "74a3926f12fee5e438777cb6a932df8cd8bec4d073b931ba3bc832b68d9dd300741fa7bf8afc47ed",
            "2576f6936ba424663aab639c5ae4f5683423b4742bf1c978238f16cbe39d652de3fdb8befc848ad9",
            "22222e04a4037c0713eb57a81a23f0c73473fc646cea306b4bcbc8862f8385ddfa9d4b7fa2c087e8",
            "79683303ed5bdd3a062b3cf5b3a278a66d2a13f83f44f82ddf310ee074ab6a364597e899a0255dc1",
            "64f31cc50846851df9ab48195ded7ea1b1d510bd7ee74d73faf36bc31ecfa268359046f4eb879f92",
            "4009438b481c6cd7889a002ed5ee382bc9190da6fc026e479558e4475677e9aa9e3050e2765694df",
            "c81f56e880b96e7160c980dd98edd3dfffffffffffffffff",
        ),
    },
    // ffdhe2048 of RFC 7919, A.1.
    KnownPrime {
        name: "RFC 7919 ffdhe2048",
        safe: true,
        hex: concat!(
            "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fb",
            "cc939dce249b3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0",
            "856365553ded1af3b557135e7f57c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade735",
            "30acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4",
            "ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f619172fe9ce98583ff",
            "8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa",
            "886b423861285c97ffffffffffffffff",
        ),
    },
    // ffdhe3072 of RFC 7919, A.2.
    KnownPrime {
        name: "RFC 7919 ffdhe3072",
        safe: true,
        hex: concat!(
            "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fb",
            "cc939dce249b3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0",
            "856365553ded1af3b557135e7f57c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade735",
            "30acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4",
            "ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f619172fe9ce98583ff",
            "8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa",
            "886b4238611fcfdcde355b3b6519035bbc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee",
            "598cb0fac186d91caefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff",
            "5cae82ab9c9df69ee86d2bc522363a0dabc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef",
            "3c1b20ee3fd59d7c25e41d2b66c62e37ffffffffffffffff",
        ),
    },
    // ffdhe4096 of RFC 7919, A.3.
    KnownPrime {
        name: "RFC 7919 ffdhe4096",
        safe: true,
        hex: concat!(
            "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fb",
            "cc939dce249b3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0",
            "856365553ded1af3b557135e7f57c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade735",
            "30acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4",
            "ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f619172fe9ce98583ff",
            "8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa",
            "886b4238611fcfdcde355b3b6519035bbc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee",
            "598cb0fac186d91caefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff",
            "5cae82ab9c9df69ee86d2bc522363a0dabc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef",
            "3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4fb7930e9e4e58857b6ac7d5f42d69f6d18",
            "7763cf1d5503400487f55ba57e31cc7a7135c886efb4318aed6a1e012d9e6832a907600a918130c4",
            "6dc778f971ad0038092999a333cb8b7a1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97dcf",
            "8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e655f6affffffffffffffff",
        ),
    },
    // ffdhe6144 of RFC 7919, A.4.
    KnownPrime {
        name: "RFC 7919 ffdhe6144",
        safe: true,
        hex: concat!(
            "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fb",
            "cc939dce249b3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0",
            "856365553ded1af3b557135e7f57c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade735",
            "30acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4",
            "ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f619172fe9ce98583ff",
            "8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa",
            "886b4238611fcfdcde355b3b6519035bbc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee",
            "598cb0fac186d91caefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff",
            "5cae82ab9c9df69ee86d2bc522363a0dabc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef",
            "3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4fb7930e9e4e58857b6ac7d5f42d69f6d18",
            "7763cf1d5503400487f55ba57e31cc7a7135c886efb4318aed6a1e012d9e6832a907600a918130c4",
            "6dc778f971ad0038092999a333cb8b7a1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97dcf",
            "8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e0dd9020bfd64b645036c7a4e677d2c38532a3a",
            "23ba4442caf53ea63bb454329b7624c8917bdd64b1c0fd4cb38e8c334c701c3acdad0657fccfec71",
            "9b1f5c3e4e46041f388147fb4cfdb477a52471f7a9a96910b855322edb6340d8a00ef092350511e3",
            "0abec1fff9e3a26e7fb29f8c183023c3587e38da0077d9b4763e4e4b94b2bbc194c6651e77caf992",
            "eeaac0232a281bf6b3a739c1226116820ae8db5847a67cbef9c9091b462d538cd72b03746ae77f5e",
            "62292c311562a846505dc82db854338ae49f5235c95b91178ccf2dd5cacef403ec9d1810c6272b04",
            "5b3b71f9dc6b80d63fdd4a8e9adb1e6962a69526d43161c1a41d570d7938dad4a40e329cd0e40e65",
            "ffffffffffffffff",
        ),
    },
    // ffdhe8192 of RFC 7919, A.5.
    KnownPrime {
        name: "RFC 7919 ffdhe8192",
        safe: true,
        hex: concat!(
            "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fb",
            "cc939dce249b3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0",
            "856365553ded1af3b557135e7f57c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade735",
            "30acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4",
            "ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f619172fe9ce98583ff",
            "8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa",
            "886b4238611fcfdcde355b3b6519035bbc34f4def99c023861b46fc9d6e6c9077ad91d2691f7f7ee",
            "598cb0fac186d91caefe130985139270b4130c93bc437944f4fd4452e2d74dd364f2e21e71f54bff",
            "5cae82ab9c9df69ee86d2bc522363a0dabc521979b0deada1dbf9a42d5c4484e0abcd06bfa53ddef",
            "3c1b20ee3fd59d7c25e41d2b669e1ef16e6f52c3164df4fb7930e9e4e58857b6ac7d5f42d69f6d18",
            "7763cf1d5503400487f55ba57e31cc7a7135c886efb4318aed6a1e012d9e6832a907600a918130c4",
            "6dc778f971ad0038092999a333cb8b7a1a1db93d7140003c2a4ecea9f98d0acc0a8291cdcec97dcf",
            "8ec9b55a7f88a46b4db5a851f44182e1c68a007e5e0dd9020bfd64b645036c7a4e677d2c38532a3a",
            "23ba4442caf53ea63bb454329b7624c8917bdd64b1c0fd4cb38e8c334c701c3acdad0657fccfec71",
            "9b1f5c3e4e46041f388147fb4cfdb477a52471f7a9a96910b855322edb6340d8a00ef092350511e3",
            "0abec1fff9e3a26e7fb29f8c183023c3587e38da0077d9b4763e4e4b94b2bbc194c6651e77caf992",
            "eeaac0232a281bf6b3a739c1226116820ae8db5847a67cbef9c9091b462d538cd72b03746ae77f5e",
            "62292c311562a846505dc82db854338ae49f5235c95b91178ccf2dd5cacef403ec9d1810c6272b04",
            "5b3b71f9dc6b80d63fdd4a8e9adb1e6962a69526d43161c1a41d570d7938dad4a40e329ccff46aaa",
            "36ad004cf600c8381e425a31d951ae64fdb23fcec9509d43687feb69edd1cc5e0b8cc3bdf64b10ef",
            "86b63142a3ab8829555b2f747c932665cb2c0f1cc01bd70229388839d2af05e454504ac78b758282",
            "2846c0ba35c35f5c59160cc046fd8251541fc68c9c86b022bb7099876a460e7451a8a93109703fee",
            "1c217e6c3826e52c51aa691e0e423cfc99e9e31650c1217b624816cdad9a95f9d5b8019488d9c0a0",
            "a1fe3075a577e23183f81d4a3f2fa4571efc8ce0ba8a4fe8b6855dfe72b0a66eded2fbabfbe58a30",
            "fafabe1c5d71a87e2f741ef8c1fe86fea6bbfde530677f0d97d11d49f7a8443d0822e506a9f4614e",
            "011e2a94838ff88cd68c8bb7c5c6424cffffffffffffffff",
        ),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_lookup() {
        let bits: Vec<usize> = KNOWN.iter().map(KnownPrime::bits).collect();
        assert_eq!(
            bits,
            [
                768, 1024, 1024, 1536, 2048, 2048, 2048, 3072, 4096, 6144, 8192, 2048, 3072, 4096,
                6144, 8192
            ]
        );
        for k in KNOWN {
            // Every MODP and FFDHE prime of RFC 2409, 3526 and 7919 starts and ends
            // with 64 one bits.
            if k.safe {
                assert!(
                    k.hex.starts_with("ffffffffffffffff") && k.hex.ends_with("ffffffffffffffff"),
                    "{}",
                    k.name
                );
            }
            let bytes: Vec<u8> = (0..k.hex.len() / 2)
                .map(|i| u8::from_str_radix(&k.hex[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            assert_eq!(lookup(&bytes).map(|f| f.name), Some(k.name));
            let mut other = bytes.clone();
            other[bytes.len() / 2] ^= 1;
            assert!(lookup(&other).is_none());
            assert!(lookup(&bytes[1..]).is_none());
        }
    }
}
