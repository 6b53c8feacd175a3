// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IValuationAdmin} from "../interfaces/IValuationAdmin.sol";
import {FloorFeedLib} from "./FloorFeedLib.sol";
import {ValuationMath} from "./ValuationMath.sol";

/// @title ValuationStorage
/// @notice The namespaced storage of `Valuation` (ERC-7201) and the codec of its two hot words, shared by the
/// contract and its libraries (`TwapLib`, `OutageLib`).
/// @dev Feed word (slot 0 of a collection):
///   bits   0..159 feed address | 160..183 heartbeat | 184..191 decimal shift (int8) | 192..207 deviation (bps)
///   | 208..215 flags (1 listed, 2 frozen) | 216..255 min answer, packed rounded up (`ValuationMath.packBoundUp`).
/// Head word (slot 1):
///   bits   0..87 TWAP | 88..175 floor at the last valuation | 176..207 staleAt | 208..215 flags (1 ready, 2 TWAP
///   jumped, 4 valued) | 216..255 max answer, packed rounded down.
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

    uint256 private constant MASK_24 = 0xffffff;
    uint256 private constant MASK_32 = 0xffffffff;
    uint256 private constant MASK_40 = 0xffffffffff;
    uint256 private constant MASK_88 = 0xffffffffffffffffffffff;

    function layout() internal pure returns (Layout storage $) {
        assembly ("memory-safe") {
            $.slot := SLOT
        }
    }

    /*//////////////////////////////////////////////////////////////
                               FEED WORD
    //////////////////////////////////////////////////////////////*/

    function encodeFeed(
        address feed,
        uint256 heartbeat,
        int256 shift,
        uint256 deviationBps,
        uint256 flags,
        uint256 minPacked
    ) internal pure returns (uint256) {
        return uint256(uint160(feed)) | (heartbeat << 160) | ((uint256(shift) & 0xff) << 184) | (deviationBps << 192)
            | (flags << 208) | (minPacked << 216);
    }

    function feedOf(uint256 a) internal pure returns (address) {
        return address(uint160(a));
    }

    function heartbeatOf(uint256 a) internal pure returns (uint256) {
        return (a >> 160) & MASK_24;
    }

    function shiftOf(uint256 a) internal pure returns (int256) {
        return int256(int8(uint8(a >> 184)));
    }

    function deviationOf(uint256 a) internal pure returns (uint256) {
        return (a >> 192) & 0xffff;
    }

    function feedFlags(uint256 a) internal pure returns (uint256) {
        return (a >> 208) & 0xff;
    }

    function withFeedFlags(uint256 a, uint256 flags) internal pure returns (uint256) {
        return (a & ~(uint256(0xff) << 208)) | (flags << 208);
    }

    function withDeviation(uint256 a, uint256 deviationBps) internal pure returns (uint256) {
        return (a & ~(uint256(0xffff) << 192)) | (deviationBps << 192);
    }

    function minAnswerOf(uint256 a) internal pure returns (uint256) {
        return ValuationMath.unpackBound(a >> 216);
    }

    /*//////////////////////////////////////////////////////////////
                               HEAD WORD
    //////////////////////////////////////////////////////////////*/

    function encodeHead(
        uint256 twap,
        uint256 lastFloor,
        uint256 staleAt,
        uint256 flags,
        uint256 maxPacked
    ) internal pure returns (uint256) {
        return twap | (lastFloor << 88) | (staleAt << 176) | (flags << 208) | (maxPacked << 216);
    }

    function twapOf(uint256 b) internal pure returns (uint256) {
        return b & MASK_88;
    }

    function lastFloorOf(uint256 b) internal pure returns (uint256) {
        return (b >> 88) & MASK_88;
    }

    function staleAtOf(uint256 b) internal pure returns (uint256) {
        return (b >> 176) & MASK_32;
    }

    function headFlags(uint256 b) internal pure returns (uint256) {
        return (b >> 208) & 0xff;
    }

    function maxPackedOf(uint256 b) internal pure returns (uint256) {
        return b >> 216;
    }

    function maxAnswerOf(uint256 b) internal pure returns (uint256) {
        return ValuationMath.unpackBound(b >> 216);
    }

    function withLastFloor(uint256 b, uint256 lastFloor) internal pure returns (uint256) {
        return (b & ~(MASK_88 << 88)) | (lastFloor << 88);
    }

    function withStaleAt(uint256 b, uint256 staleAt) internal pure returns (uint256) {
        return (b & ~(MASK_32 << 176)) | (staleAt << 176);
    }

    function withHeadFlags(uint256 b, uint256 flags) internal pure returns (uint256) {
        return (b & ~(uint256(0xff) << 208)) | (flags << 208);
    }

    function withMaxPacked(uint256 b, uint256 maxPacked) internal pure returns (uint256) {
        return (b & ~(MASK_40 << 216)) | (maxPacked << 216);
    }

    /// @notice Judges a fresh floor answer under the collection's bounds, decimal shift and jump reference.
    function judge(
        int256 answer,
        uint256 feedWord,
        uint256 head
    ) internal pure returns (bool invalid, bool jumped, uint256 floor) {
        return FloorFeedLib.judge(
            answer,
            minAnswerOf(feedWord),
            maxAnswerOf(head),
            shiftOf(feedWord),
            lastFloorOf(head),
            deviationOf(feedWord)
        );
    }

    /*//////////////////////////////////////////////////////////////
                         TWAP-SIDE OUTAGE STATE
    //////////////////////////////////////////////////////////////*/

    /// @notice Whether the collection itself (listing, freeze, TWAP readiness and jump) is unusable whatever the time.
    function alwaysOut(uint256 a, uint256 b) internal pure returns (bool) {
        return feedFlags(a) != LISTED || headFlags(b) & (READY | TWAP_JUMPED) != READY;
    }
}
