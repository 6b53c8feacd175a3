// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolCore} from "../../src/interfaces/ILendingPoolCore.sol";
import {ITraitPricer} from "../../src/interfaces/ITraitPricer.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {MockAggregator} from "../../test/mocks/MockAggregator.sol";
import {Actor} from "../base/Actor.sol";
import {HandlerBase} from "../base/HandlerBase.sol";

/// @notice The world around the protocol: time, the oracle (sales, floor moves, crashes, staleness, a dead feed),
/// trait-root rotation, donations of the asset and of NFTs, hostile receivers and the asset's blocklist.
abstract contract SimulatorHandler is HandlerBase {
    /*//////////////////////////////////////////////////////////////
                                  TIME
    //////////////////////////////////////////////////////////////*/

    /// @notice Mostly short steps (up to 2 h), one in four up to 3 days (maturities, staleness, auction ends).
    function warpTime(uint256 dt) external step {
        dt = dt % 4 == 0 ? _bound(dt >> 2, 1 hours, 3 days) : _bound(dt >> 2, 1, 2 hours);
        _warp(dt);
    }

    /*//////////////////////////////////////////////////////////////
                                 ORACLE
    //////////////////////////////////////////////////////////////*/

    function _collection(uint256 seed) internal view returns (address) {
        return seed % 2 == 0 ? address(apes) : address(items);
    }

    /// @notice A marketplace sale within +-20 % of the TWAP (the valuation clamps it) and a floor move within +-10 %.
    function oracleTick(uint256 collSeed, uint256 saleMove, uint256 floorMove) external step {
        address c = _collection(collSeed);
        // A reporter reports at most one sale per minimum spacing (ceil(minWindow / 15)).
        _warp(valuation.minSpacing(c));
        (IValuationAdmin.Head memory h, IValuationAdmin.TwapState memory cur,,) = valuation.twapState(c);
        (, IValuationAdmin.TwapParams memory p,) = valuation.collectionConfig(c);
        uint256 sale = uint256(h.twap) * _bound(saleMove, 8000, 12_000) / BPS;
        if (sale == 0) sale = 1;
        try valuation.reportSale(c, sale, block.timestamp) {
            _checkClamp(c, cur.count >= p.minSales, p.clampBps);
            // O3: never a second observation in the same block.
            try valuation.reportSale(c, sale, block.timestamp) {
                _fail(O3_TWAP_WRITES, block.number, 0);
            } catch {}
        } catch {}
        MockAggregator feed = _feed(c);
        int256 answer = feed.answer() * int256(_bound(floorMove, 9000, 11_000)) / int256(BPS);
        feed.setAnswer(answer);
        _checkPrice(c);
        _count("oracleTick");
    }

    /// @notice A floor crash (to 30-79 %) or spike (125-200 %): a jump, so an outage until re-anchored.
    function oracleCrash(uint256 collSeed, uint256 pct, bool up) external step {
        address c = _collection(collSeed);
        MockAggregator feed = _feed(c);
        uint256 factor = up ? _bound(pct, 12_500, 20_000) : _bound(pct, 3000, 7900);
        int256 answer = feed.answer() * int256(factor) / int256(BPS);
        if (answer < 2) answer = 2;
        if (uint256(answer) >= FEED_MAX_ANSWER) answer = int256(uint256(FEED_MAX_ANSWER) / 2);
        feed.setAnswer(answer);
        _checkPrice(c);
        _count("oracleCrash");
    }

    /// @notice A lasting price move: the floor goes to 20-150 % of its level and the valuation re-anchors on it after
    /// the jump cool-down, so the new price is usable at once (loans near their limit become liquidatable).
    function priceShock(uint256 collSeed, uint256 pct) external step {
        address c = _collection(collSeed);
        _shock(c, _bound(pct, 2000, 15_000));
        _checkPrice(c);
        _count("priceShock");
    }

    /// @notice Breaks a source: 0 stale floor, 1 feed reverts, 2 invalid (zero) answer.
    function oracleOutage(uint256 collSeed, uint256 kind, uint256 age) external step {
        address c = _collection(collSeed);
        MockAggregator feed = _feed(c);
        kind = kind % 3;
        if (kind == 0) feed.setUpdatedAt(block.timestamp - _bound(age, HEARTBEAT + 1, 10 days));
        else if (kind == 1) feed.setReverts(true);
        else feed.setAnswer(0);
        // A round's time rewritten into the past, or a feed that reverts: the valuation cannot date the outage (B1).
        if (kind != 2) _noteBackdating(c);
        _checkPrice(c);
        _count("oracleOutage");
    }

    /// @notice Brings a collection's price back: fresh sale and floor, re-anchoring after a jump.
    function oracleRecover(uint256 collSeed) external step {
        address c = _collection(collSeed);
        _freshen(c);
        _checkPrice(c);
    }

    /// @notice A keeper's outage checkpoint (permissionless).
    function checkpoint(uint256 collSeed) external step {
        try valuation.checkpoint(_collection(collSeed)) {} catch {}
    }

    /// @dev O1 and O2 for `c` now.
    function _checkPrice(address c) internal {
        (uint256 p, IValuation.Status st) = _status(c);
        if (st != IValuation.Status.Ok) {
            // O1: an unusable price is never served.
            try valuation.price(c) {
                _fail(O1_VALUE_BOUNDS, uint256(st), 0);
            } catch {}
            return;
        }
        (IValuationAdmin.Head memory h,,,) = valuation.twapState(c);
        uint256 floor = uint256(_feed(c).answer()) / FEED_SCALE;
        _checkEq(p, h.twap < floor ? h.twap : floor, O1_VALUE_BOUNDS);
        try valuation.price(c) returns (uint256 p1) {
            _checkEq(p1, p, O2_CONSISTENT_VIEWS);
            _checkEq(valuation.price(c), p1, O2_CONSISTENT_VIEWS);
        } catch {
            _fail(O2_CONSISTENT_VIEWS, p, 0);
        }
    }

    /// @dev O3: the newest recorded sale lies within +-clamp of the clamp anchor it was clamped around (once minSales
    /// exist); the anchor is a TWAP at least one anchor period old (see IValuationAdmin.ClampAnchor).
    function _checkClamp(address c, bool clamped, uint256 clampBps) internal {
        if (!clamped) return;
        (uint256[] memory prices,) = valuation.observations(c);
        (,, IValuationAdmin.ClampAnchor memory an,) = valuation.twapState(c);
        uint256 recorded = prices[prices.length - 1];
        _checkLe(recorded * BPS, uint256(an.anchor) * (BPS + clampBps), O3_TWAP_WRITES);
        _checkLe(uint256(an.anchor) * (BPS - clampBps), recorded * BPS + BPS, O3_TWAP_WRITES);
    }

    /*//////////////////////////////////////////////////////////////
                               TRAIT ROOTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Publishes the next epoch's signed root: two fresh trait token ids with their premiums.
    /// @param forge When true, the root is signed by a key that is not the current signer: it must be refused.
    function rotateTraitRoot(uint256 premA, uint256 premB, uint256 life, bool forge) external step {
        ITraitPricer.RootRecord memory rec = pricer.rootRecord(address(apes));
        uint64 epoch = rec.epoch + 1;
        uint256[2] memory ids = [TRAIT_ID_BASE + 2 * uint256(epoch), TRAIT_ID_BASE + 2 * uint256(epoch) + 1];
        // Whole USDC up to 3x the ape price (the cap multiple trims it), so a premium tampered by one unit never equals
        // another leaf's.
        uint256[2] memory premiums = [_bound(premA, 1, 150_000) * USDC, _bound(premB, 1, 150_000) * USDC];
        bytes32[2] memory leaves = [
            pricer.leafHash(address(apes), ids[0], premiums[0], epoch),
            pricer.leafHash(address(apes), ids[1], premiums[1], epoch)
        ];
        ITraitPricer.TraitRoot memory update = ITraitPricer.TraitRoot({
            collection: address(apes),
            epoch: epoch,
            root: _hashPair(leaves[0], leaves[1]),
            expiry: uint64(block.timestamp + _bound(life, 1 hours, 30 days))
        });
        // The key of the signer in force, or one that never signs for the pricer.
        uint256 key = forge ? _signerKey(FORGED_KEY) : signerKey;
        (uint8 v, bytes32 r, bytes32 s) = hevm.sign(key, pricer.hashTraitRoot(update));
        bytes memory sig = abi.encodePacked(r, s, v);
        // A guardian revocation holds until the timelock lifts it: no root, however signed, is published meanwhile.
        try pricer.publishRoot(update, sig) {
            _check(!forge && !rec.revoked, O4_TRAIT);
        } catch {
            _check(forge || rec.revoked, O4_TRAIT);
            return;
        }
        // A replay of the same update is stale.
        try pricer.publishRoot(update, sig) {
            _fail(O4_TRAIT, epoch, 0);
        } catch {}
        trait = TraitTree({epoch: epoch, expiry: update.expiry, tokenIds: ids, premiums: premiums, leaves: leaves});
        _count("rotateTraitRoot");
    }

    /// @dev Sorted-pair hashing (solady MerkleProofLib).
    function _hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encodePacked(a, b)) : keccak256(abi.encodePacked(b, a));
    }

    /*//////////////////////////////////////////////////////////////
                               DONATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice A2: tokens sent straight to the pool change neither its assets nor its shares.
    function donateAsset(uint256 amount) external step {
        amount = _bound(amount, 1, 1_000_000 * USDC);
        uint256 assetsBefore = pool.totalAssets();
        uint256 supplyBefore = pool.totalSupply();
        usdc.mint(address(pool), amount);
        gDonated += amount;
        _checkEq(pool.totalAssets(), assetsBefore, A2_BACKING);
        _checkEq(pool.totalSupply(), supplyBefore, A2_BACKING);
        _count("donateAsset");
    }

    /// @notice L2: an ERC-721 token pushed by a raw transfer stays unaccounted and can never back a loan.
    function donateApe(uint256 actorSeed) external step {
        Actor a = _actor(actorSeed);
        uint256 id = nextApeId++;
        apes.mint(address(a), id);
        apeIds.push(id);
        uint256 assetsBefore = pool.totalAssets();
        (bool ok,) = a.exec(
            address(apes),
            abi.encodeWithSignature("transferFrom(address,address,uint256)", address(a), address(pool), id)
        );
        _check(ok, L2_CUSTODY_721);
        apeDonated[id] = true;
        _checkEq(pool.totalAssets(), assetsBefore, A2_BACKING);
        (ok,) = a.exec(
            address(pool),
            abi.encodeCall(
                ILendingPoolCore.borrow, (address(apes), id, 1, MIN_LOAN, address(pool), 0, new bytes32[](0))
            )
        );
        _check(!ok, L2_CUSTODY_721);
        (ok,) = a.exec(
            address(pool),
            abi.encodeCall(ILendingPoolCore.borrow, (address(apes), id, 1, MIN_LOAN, address(a), 0, new bytes32[](0)))
        );
        _check(!ok, L2_CUSTODY_721);
        _count("donateApe");
    }

    /// @notice L3: unsolicited ERC-1155 transfers to the pool are refused.
    function donateItems(uint256 actorSeed, uint256 idSeed, uint256 units) external step {
        Actor a = _actor(actorSeed);
        if (a.mode() == Actor.Mode.Reject) _skip();
        uint256 id = idSeed % N_ITEM_IDS + 1;
        units = _bound(units, 1, 5);
        items.mint(address(a), id, units);
        (bool ok,) = a.exec(
            address(items),
            abi.encodeWithSignature(
                "safeTransferFrom(address,address,uint256,uint256,bytes)", address(a), address(pool), id, units, ""
            )
        );
        _check(!ok, L3_CUSTODY_1155);
    }

    /*//////////////////////////////////////////////////////////////
                               ADVERSARIES
    //////////////////////////////////////////////////////////////*/

    /// @notice Turns an actor normal, rejecting (ERC-1155 hook reverts) or re-entering.
    function setActorMode(uint256 actorSeed, uint256 mode) external step {
        _actor(actorSeed).setMode(Actor.Mode(mode % 3));
    }

    /// @notice Blocklists an actor in the asset (USDC-style), or lifts it.
    function toggleBlocklist(uint256 actorSeed) external step {
        address a = address(_actor(actorSeed));
        usdc.setBlocked(a, !usdc.blocked(a));
    }
}
