// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {FeedWord, FeedWordLibrary, HeadWord, HeadWordLibrary} from "../../src/oracle/ValuationStorage.sol";
import {Test} from "forge-std/Test.sol";

/// @title ValuationWordsCheck
/// @notice Halmos proofs of the valuation's two hot words (`FeedWord`, `HeadWord` in ValuationStorage.sol): on any
/// word, setting one field to any value that fits its width makes that field read the value and leaves every other
/// field as it was, and `pack` puts each field where its getter reads it. A mask one bit too wide clobbers a
/// neighbour, one too narrow loses the value's top bit, an offset off by one does either. The positions themselves
/// are pinned by `test_widthMaximaAtDocumentedBits`, written from the documented layout.
contract ValuationWordsCheck is Test {
    function check_feedWord_setOneField(uint256 raw, uint256 field, uint256 v) public pure {
        FeedWord w = FeedWord.wrap(raw);
        field %= 6;
        FeedWord x;
        if (field == 0) {
            vm.assume(v <= type(uint160).max);
            x = w.withFeed(address(uint160(v)));
        } else if (field == 1) {
            vm.assume(v <= type(uint24).max);
            x = w.withHeartbeat(v);
        } else if (field == 2) {
            // The shift is an int8: `v` picks one of its 256 values.
            vm.assume(v <= type(uint8).max);
            x = w.withShift(int256(int8(uint8(v))));
        } else if (field == 3) {
            vm.assume(v <= type(uint16).max);
            x = w.withDeviationBps(v);
        } else if (field == 4) {
            vm.assume(v <= type(uint8).max);
            x = w.withFlags(v);
        } else {
            vm.assume(v <= type(uint40).max);
            x = w.withMinPacked(v);
        }
        uint256[6] memory before = _feed(w);
        uint256[6] memory afterSet = _feed(x);
        assert(field == 0 ? afterSet[0] == v : afterSet[0] == before[0]);
        assert(field == 1 ? afterSet[1] == v : afterSet[1] == before[1]);
        assert(field == 2 ? afterSet[2] == v : afterSet[2] == before[2]);
        assert(field == 3 ? afterSet[3] == v : afterSet[3] == before[3]);
        assert(field == 4 ? afterSet[4] == v : afterSet[4] == before[4]);
        assert(field == 5 ? afterSet[5] == v : afterSet[5] == before[5]);
    }

    function check_headWord_setOneField(uint256 raw, uint256 field, uint256 v) public pure {
        HeadWord w = HeadWord.wrap(raw);
        field %= 5;
        HeadWord x;
        if (field == 0) {
            vm.assume(v <= type(uint88).max);
            x = w.withTwap(v);
        } else if (field == 1) {
            vm.assume(v <= type(uint88).max);
            x = w.withLastFloor(v);
        } else if (field == 2) {
            vm.assume(v <= type(uint32).max);
            x = w.withStaleAt(v);
        } else if (field == 3) {
            vm.assume(v <= type(uint8).max);
            x = w.withFlags(v);
        } else {
            vm.assume(v <= type(uint40).max);
            x = w.withMaxPacked(v);
        }
        uint256[5] memory before = _head(w);
        uint256[5] memory afterSet = _head(x);
        assert(field == 0 ? afterSet[0] == v : afterSet[0] == before[0]);
        assert(field == 1 ? afterSet[1] == v : afterSet[1] == before[1]);
        assert(field == 2 ? afterSet[2] == v : afterSet[2] == before[2]);
        assert(field == 3 ? afterSet[3] == v : afterSet[3] == before[3]);
        assert(field == 4 ? afterSet[4] == v : afterSet[4] == before[4]);
    }

    /// @dev `pack` is the empty word with every field set, whatever the order.
    function check_feedWord_packIsEveryField(
        address feed,
        uint24 heartbeat,
        int8 shift,
        uint16 deviation,
        uint8 flags,
        uint40 minPacked
    ) public pure {
        FeedWord set = FeedWord.wrap(0).withMinPacked(minPacked).withFlags(flags).withDeviationBps(deviation)
            .withShift(shift).withHeartbeat(heartbeat).withFeed(feed);
        FeedWord packed = FeedWordLibrary.pack(feed, heartbeat, shift, deviation, flags, minPacked);
        assert(FeedWord.unwrap(packed) == FeedWord.unwrap(set));
        assert(packed.feed() == feed && packed.heartbeat() == heartbeat && packed.shift() == shift);
        assert(packed.deviationBps() == deviation && packed.flags() == flags && packed.minPacked() == minPacked);
    }

    function check_headWord_packIsEveryField(
        uint88 twap,
        uint88 lastFloor,
        uint32 staleAt,
        uint8 flags,
        uint40 maxPacked
    ) public pure {
        HeadWord set = HeadWord.wrap(0).withMaxPacked(maxPacked).withFlags(flags).withStaleAt(staleAt)
            .withLastFloor(lastFloor).withTwap(twap);
        HeadWord packed = HeadWordLibrary.pack(twap, lastFloor, staleAt, flags, maxPacked);
        assert(HeadWord.unwrap(packed) == HeadWord.unwrap(set));
        assert(packed.twap() == twap && packed.lastFloor() == lastFloor && packed.staleAt() == staleAt);
        assert(packed.flags() == flags && packed.maxPacked() == maxPacked);
    }

    function _feed(FeedWord w) internal pure returns (uint256[6] memory) {
        return [
            uint256(uint160(w.feed())),
            w.heartbeat(),
            uint256(uint8(int8(w.shift()))),
            w.deviationBps(),
            w.flags(),
            w.minPacked()
        ];
    }

    function _head(HeadWord w) internal pure returns (uint256[5] memory) {
        return [w.twap(), w.lastFloor(), w.staleAt(), w.flags(), w.maxPacked()];
    }

    // The same properties under forge's fuzzer, so `make test` exercises them too. The value is bounded to the
    // field's width (the setters' precondition) instead of assumed, which would reject almost every fuzzed value.

    function testFuzz_feedWord_setOneField(uint256 raw, uint256 field, uint256 v) public pure {
        uint16[6] memory widths = [uint16(160), 24, 8, 16, 8, 40];
        field %= 6;
        check_feedWord_setOneField(raw, field, v >> (256 - uint256(widths[field])));
    }

    function testFuzz_headWord_setOneField(uint256 raw, uint256 field, uint256 v) public pure {
        uint16[5] memory widths = [uint16(88), 88, 32, 8, 40];
        field %= 5;
        check_headWord_setOneField(raw, field, v >> (256 - uint256(widths[field])));
    }

    function testFuzz_feedWord_packIsEveryField(
        address feed,
        uint24 heartbeat,
        int8 shift,
        uint16 deviation,
        uint8 flags,
        uint40 minPacked
    ) public pure {
        check_feedWord_packIsEveryField(feed, heartbeat, shift, deviation, flags, minPacked);
    }

    function testFuzz_headWord_packIsEveryField(
        uint88 twap,
        uint88 lastFloor,
        uint32 staleAt,
        uint8 flags,
        uint40 maxPacked
    ) public pure {
        check_headWord_packIsEveryField(twap, lastFloor, staleAt, flags, maxPacked);
    }

    /// @dev Each field set to its width's maximum on an empty word is exactly the bits the layout documents
    /// (ValuationStorage.sol, docs/valuation.md), written here from the documentation, not from the constants.
    function test_widthMaximaAtDocumentedBits() public pure {
        FeedWord f = FeedWord.wrap(0);
        assertEq(FeedWord.unwrap(f.withFeed(address(type(uint160).max))), uint256(type(uint160).max));
        assertEq(FeedWord.unwrap(f.withHeartbeat(type(uint24).max)), uint256(type(uint24).max) << 160);
        assertEq(FeedWord.unwrap(f.withShift(-1)), uint256(0xff) << 184);
        assertEq(f.withShift(type(int8).min).shift(), type(int8).min);
        assertEq(f.withShift(type(int8).max).shift(), type(int8).max);
        assertEq(FeedWord.unwrap(f.withDeviationBps(type(uint16).max)), uint256(type(uint16).max) << 192);
        assertEq(FeedWord.unwrap(f.withFlags(type(uint8).max)), uint256(type(uint8).max) << 208);
        assertEq(FeedWord.unwrap(f.withMinPacked(type(uint40).max)), uint256(type(uint40).max) << 216);
        HeadWord h = HeadWord.wrap(0);
        assertEq(HeadWord.unwrap(h.withTwap(type(uint88).max)), uint256(type(uint88).max));
        assertEq(HeadWord.unwrap(h.withLastFloor(type(uint88).max)), uint256(type(uint88).max) << 88);
        assertEq(HeadWord.unwrap(h.withStaleAt(type(uint32).max)), uint256(type(uint32).max) << 176);
        assertEq(HeadWord.unwrap(h.withFlags(type(uint8).max)), uint256(type(uint8).max) << 208);
        assertEq(HeadWord.unwrap(h.withMaxPacked(type(uint40).max)), uint256(type(uint40).max) << 216);
    }
}
