// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IValuationAdmin} from "../interfaces/IValuationAdmin.sol";
import {FloorFeedLib} from "./FloorFeedLib.sol";
import {ValuationMath} from "./ValuationMath.sol";

// The two hot words of a collection, as value types over the raw word (read by every valuation: two slots). Each
// field's position is a named offset and its width a named mask; getters return the field, `with*` setters the word
// with one field replaced. Getters truncate by a cast to the field's width (`uint8(word >> FLAGS_OFFSET)`), not by
// `& MASK`: with a mask constant the legacy optimizer no longer inlines them whole, which cost ~100 gas per valuation
// and 180 bytes of `Valuation`. A setter does not mask its value: the caller passes a value that fits the field's width
// (every caller's value is bounded by a cast or a configuration check), and a wider one would spill into the next
// field. The storage struct keeps its `uint256` members (the layout snapshot names their types): readers wrap the
// loaded word (`FeedWord.wrap(c.feedWord)`) and unwrap it to store.

/// @dev The feed word (slot 0 of a collection):
///   bits   0..159 feed address | 160..183 heartbeat | 184..191 decimal shift (int8, two's complement)
///   | 192..207 deviation (bps) | 208..215 flags (1 listed, 2 frozen) | 216..255 min answer, packed rounded up
///   (`ValuationMath.packBoundUp`).
type FeedWord is uint256;

using FeedWordLibrary for FeedWord global;

uint256 constant FEED_ADDRESS_MASK = type(uint160).max; // at offset 0
uint256 constant FEED_HEARTBEAT_OFFSET = 160;
uint256 constant FEED_HEARTBEAT_MASK = 0xffffff; // 24 bits
uint256 constant FEED_SHIFT_OFFSET = 184;
uint256 constant FEED_SHIFT_MASK = 0xff; // 8 bits
uint256 constant FEED_DEVIATION_OFFSET = 192;
uint256 constant FEED_DEVIATION_MASK = 0xffff; // 16 bits
uint256 constant FEED_FLAGS_OFFSET = 208;
uint256 constant FEED_FLAGS_MASK = 0xff; // 8 bits
uint256 constant FEED_MIN_PACKED_OFFSET = 216;
uint256 constant FEED_MIN_PACKED_MASK = 0xffffffffff; // 40 bits, the top of the word

/// @dev The head word (slot 1 of a collection):
///   bits   0..87 TWAP | 88..175 floor at the last valuation | 176..207 staleAt | 208..215 flags (1 ready, 2 TWAP
///   jumped, 4 valued) | 216..255 max answer, packed rounded down (`ValuationMath.packBoundDown`).
type HeadWord is uint256;

using HeadWordLibrary for HeadWord global;

uint256 constant HEAD_TWAP_MASK = 0xffffffffffffffffffffff; // 88 bits, at offset 0
uint256 constant HEAD_LAST_FLOOR_OFFSET = 88;
uint256 constant HEAD_LAST_FLOOR_MASK = 0xffffffffffffffffffffff; // 88 bits
uint256 constant HEAD_STALE_AT_OFFSET = 176;
uint256 constant HEAD_STALE_AT_MASK = 0xffffffff; // 32 bits
uint256 constant HEAD_FLAGS_OFFSET = 208;
uint256 constant HEAD_FLAGS_MASK = 0xff; // 8 bits
uint256 constant HEAD_MAX_PACKED_OFFSET = 216;
uint256 constant HEAD_MAX_PACKED_MASK = 0xffffffffff; // 40 bits, the top of the word

library FeedWordLibrary {
    // #### GETTERS ####

    function feed(FeedWord w) internal pure returns (address) {
        return address(uint160(FeedWord.unwrap(w)));
    }

    function heartbeat(FeedWord w) internal pure returns (uint256) {
        return uint24(FeedWord.unwrap(w) >> FEED_HEARTBEAT_OFFSET);
    }

    /// @dev Sign-extended from its 8 bits.
    function shift(FeedWord w) internal pure returns (int256) {
        return int256(int8(uint8(FeedWord.unwrap(w) >> FEED_SHIFT_OFFSET)));
    }

    function deviationBps(FeedWord w) internal pure returns (uint256) {
        return uint16(FeedWord.unwrap(w) >> FEED_DEVIATION_OFFSET);
    }

    function flags(FeedWord w) internal pure returns (uint256) {
        return uint8(FeedWord.unwrap(w) >> FEED_FLAGS_OFFSET);
    }

    /// @dev The top field: no mask.
    function minPacked(FeedWord w) internal pure returns (uint256) {
        return FeedWord.unwrap(w) >> FEED_MIN_PACKED_OFFSET;
    }

    function minAnswer(FeedWord w) internal pure returns (uint256) {
        return ValuationMath.unpackBound(FeedWord.unwrap(w) >> FEED_MIN_PACKED_OFFSET);
    }

    // #### SETTERS (the value must fit the field) ####

    function withFeed(FeedWord w, address v) internal pure returns (FeedWord) {
        return FeedWord.wrap((FeedWord.unwrap(w) & ~FEED_ADDRESS_MASK) | uint256(uint160(v)));
    }

    function withHeartbeat(FeedWord w, uint256 v) internal pure returns (FeedWord) {
        return FeedWord.wrap(
            (FeedWord.unwrap(w) & ~(FEED_HEARTBEAT_MASK << FEED_HEARTBEAT_OFFSET)) | (v << FEED_HEARTBEAT_OFFSET)
        );
    }

    /// @dev Stored as its low 8 bits (two's complement): any `v` in int8's range round-trips.
    function withShift(FeedWord w, int256 v) internal pure returns (FeedWord) {
        return FeedWord.wrap(
            (FeedWord.unwrap(w) & ~(FEED_SHIFT_MASK << FEED_SHIFT_OFFSET))
                | ((uint256(v) & FEED_SHIFT_MASK) << FEED_SHIFT_OFFSET)
        );
    }

    function withDeviationBps(FeedWord w, uint256 v) internal pure returns (FeedWord) {
        return FeedWord.wrap(
            (FeedWord.unwrap(w) & ~(FEED_DEVIATION_MASK << FEED_DEVIATION_OFFSET)) | (v << FEED_DEVIATION_OFFSET)
        );
    }

    function withFlags(FeedWord w, uint256 v) internal pure returns (FeedWord) {
        return FeedWord.wrap((FeedWord.unwrap(w) & ~(FEED_FLAGS_MASK << FEED_FLAGS_OFFSET)) | (v << FEED_FLAGS_OFFSET));
    }

    function withMinPacked(FeedWord w, uint256 v) internal pure returns (FeedWord) {
        return FeedWord.wrap(
            (FeedWord.unwrap(w) & ~(FEED_MIN_PACKED_MASK << FEED_MIN_PACKED_OFFSET)) | (v << FEED_MIN_PACKED_OFFSET)
        );
    }

    /// @dev The word holding every field (each must fit; the shift is stored as its low 8 bits).
    function pack(
        address feed_,
        uint256 heartbeat_,
        int256 shift_,
        uint256 deviationBps_,
        uint256 flags_,
        uint256 minPacked_
    ) internal pure returns (FeedWord) {
        return FeedWord.wrap(
            uint256(uint160(feed_)) | (heartbeat_ << FEED_HEARTBEAT_OFFSET)
                | ((uint256(shift_) & FEED_SHIFT_MASK) << FEED_SHIFT_OFFSET) | (deviationBps_ << FEED_DEVIATION_OFFSET)
                | (flags_ << FEED_FLAGS_OFFSET) | (minPacked_ << FEED_MIN_PACKED_OFFSET)
        );
    }
}

library HeadWordLibrary {
    // #### GETTERS ####

    function twap(HeadWord w) internal pure returns (uint256) {
        return uint88(HeadWord.unwrap(w));
    }

    function lastFloor(HeadWord w) internal pure returns (uint256) {
        return uint88(HeadWord.unwrap(w) >> HEAD_LAST_FLOOR_OFFSET);
    }

    function staleAt(HeadWord w) internal pure returns (uint256) {
        return uint32(HeadWord.unwrap(w) >> HEAD_STALE_AT_OFFSET);
    }

    function flags(HeadWord w) internal pure returns (uint256) {
        return uint8(HeadWord.unwrap(w) >> HEAD_FLAGS_OFFSET);
    }

    /// @dev The top field: no mask.
    function maxPacked(HeadWord w) internal pure returns (uint256) {
        return HeadWord.unwrap(w) >> HEAD_MAX_PACKED_OFFSET;
    }

    function maxAnswer(HeadWord w) internal pure returns (uint256) {
        return ValuationMath.unpackBound(HeadWord.unwrap(w) >> HEAD_MAX_PACKED_OFFSET);
    }

    // #### SETTERS (the value must fit the field) ####

    function withTwap(HeadWord w, uint256 v) internal pure returns (HeadWord) {
        return HeadWord.wrap((HeadWord.unwrap(w) & ~HEAD_TWAP_MASK) | v);
    }

    function withLastFloor(HeadWord w, uint256 v) internal pure returns (HeadWord) {
        return HeadWord.wrap(
            (HeadWord.unwrap(w) & ~(HEAD_LAST_FLOOR_MASK << HEAD_LAST_FLOOR_OFFSET)) | (v << HEAD_LAST_FLOOR_OFFSET)
        );
    }

    function withStaleAt(HeadWord w, uint256 v) internal pure returns (HeadWord) {
        return HeadWord.wrap(
            (HeadWord.unwrap(w) & ~(HEAD_STALE_AT_MASK << HEAD_STALE_AT_OFFSET)) | (v << HEAD_STALE_AT_OFFSET)
        );
    }

    function withFlags(HeadWord w, uint256 v) internal pure returns (HeadWord) {
        return HeadWord.wrap((HeadWord.unwrap(w) & ~(HEAD_FLAGS_MASK << HEAD_FLAGS_OFFSET)) | (v << HEAD_FLAGS_OFFSET));
    }

    function withMaxPacked(HeadWord w, uint256 v) internal pure returns (HeadWord) {
        return HeadWord.wrap(
            (HeadWord.unwrap(w) & ~(HEAD_MAX_PACKED_MASK << HEAD_MAX_PACKED_OFFSET)) | (v << HEAD_MAX_PACKED_OFFSET)
        );
    }

    /// @dev The word holding every field (each must fit).
    function pack(
        uint256 twap_,
        uint256 lastFloor_,
        uint256 staleAt_,
        uint256 flags_,
        uint256 maxPacked_
    ) internal pure returns (HeadWord) {
        return HeadWord.wrap(
            twap_ | (lastFloor_ << HEAD_LAST_FLOOR_OFFSET) | (staleAt_ << HEAD_STALE_AT_OFFSET)
                | (flags_ << HEAD_FLAGS_OFFSET) | (maxPacked_ << HEAD_MAX_PACKED_OFFSET)
        );
    }
}

/// @title ValuationStorage
/// @notice The namespaced storage of `Valuation` (ERC-7201), shared by the contract and its libraries (`TwapLib`,
/// `OutageLib`), and the flags of its two hot words (`FeedWord`, `HeadWord` above).
library ValuationStorage {
    /// @dev Per-collection storage: feed word, head word, six cold slots, 8 observation slots, then the jump
    /// cool-downs (appended; read only while a source is jumped or the recorded floor round is bad).
    /// Invariant kept by every clock record: `clock.floorBad == false` implies `jump.floorAt == 0`.
    struct Collection {
        uint256 feedWord;
        uint256 headWord;
        IValuationAdmin.TwapState twap;
        IValuationAdmin.TwapParams params;
        IValuationAdmin.ClampAnchor anchor;
        IValuationAdmin.Accumulator acc;
        IValuationAdmin.OutageClock clock;
        IValuationAdmin.SequencerClock seq;
        uint256[8] observations;
        IValuationAdmin.JumpState jump;
    }

    /// @custom:storage-location erc7201:nftlend.storage.Valuation
    struct Layout {
        uint8 assetDecimals;
        address traitPricer;
        mapping(address reporter => bool) reporters;
        mapping(address collection => Collection) collections;
        // Appended: incremented by every listing; relayed sale reports must carry the current one.
        mapping(address collection => uint256) listingEpochs;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("nftlend.storage.Valuation")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant SLOT = 0xcdeba9e8cb8d93d09fd26c9920928c089afc9aae48459448a7e8f306587cd000;

    uint256 internal constant LISTED = 1;
    uint256 internal constant FROZEN = 2;
    uint256 internal constant READY = 1;
    uint256 internal constant TWAP_JUMPED = 2;
    uint256 internal constant VALUED = 4;

    function layout() internal pure returns (Layout storage $) {
        assembly ("memory-safe") {
            $.slot := SLOT
        }
    }

    /// @notice The feed word as `ValuationConfigLib` builds it (a raw word: it crosses that library's external call).
    function encodeFeed(
        address feed,
        uint256 heartbeat,
        int256 shift,
        uint256 deviationBps,
        uint256 flags,
        uint256 minPacked
    ) internal pure returns (uint256) {
        return FeedWord.unwrap(FeedWordLibrary.pack(feed, heartbeat, shift, deviationBps, flags, minPacked));
    }

    /// @notice Judges a fresh floor answer under the collection's bounds, decimal shift and jump reference.
    function judge(
        int256 answer,
        FeedWord feedWord,
        HeadWord head
    ) internal pure returns (bool invalid, bool jumped, uint256 floor) {
        return FloorFeedLib.judge(
            answer, feedWord.minAnswer(), head.maxAnswer(), feedWord.shift(), head.lastFloor(), feedWord.deviationBps()
        );
    }

    /*//////////////////////////////////////////////////////////////
                         TWAP-SIDE OUTAGE STATE
    //////////////////////////////////////////////////////////////*/

    /// @notice Whether the collection itself (listing, freeze, TWAP readiness and jump) is unusable whatever the time.
    function alwaysOut(FeedWord a, HeadWord b) internal pure returns (bool) {
        return a.flags() != LISTED || b.flags() & (READY | TWAP_JUMPED) != READY;
    }
}
