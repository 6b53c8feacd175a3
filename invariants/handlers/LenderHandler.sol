// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolCore} from "../../src/interfaces/ILendingPoolCore.sol";
import {ILendingPoolExtension} from "../../src/interfaces/ILendingPoolExtension.sol";
import {Actor} from "../base/Actor.sol";
import {HandlerBase} from "../base/HandlerBase.sol";

/// @notice The LP side: deposit, mint, withdraw, redeem, share transfers, claims, and the no-free-value round trip.
abstract contract LenderHandler is HandlerBase {
    function deposit(uint256 actorSeed, uint256 assets, uint256 receiverSeed) external step {
        Actor a = _actor(actorSeed);
        address receiver = address(_actor(receiverSeed));
        assets = _bound(assets, 1, 2_000_000 * USDC);
        _fund(a, assets);
        uint256 preview = pool.previewDeposit(assets);
        uint256 before = pool.balanceOf(receiver);
        (bool ok, bytes memory ret) =
            a.exec(address(pool), abi.encodeCall(ILendingPoolCore.deposit, (assets, receiver)));
        if (!ok) {
            // Only a depositor the token refuses, or a deposit worth no share, may be refused.
            _refuse("deposit", _blocked(address(a)) || preview == 0);
            return;
        }
        uint256 shares = abi.decode(ret, (uint256));
        _checkEq(shares, preview, A5_NO_FREE_VALUE);
        _checkEq(pool.balanceOf(receiver), before + shares, A3_SHARES);
        gDeposits += assets;
        _count("deposit");
    }

    function mint(uint256 actorSeed, uint256 shares, uint256 receiverSeed) external step {
        Actor a = _actor(actorSeed);
        address receiver = address(_actor(receiverSeed));
        shares = _bound(shares, 1, 2_000_000 * USDC * 1e6);
        uint256 preview = pool.previewMint(shares);
        _fund(a, preview);
        uint256 before = usdc.balanceOf(address(a));
        (bool ok, bytes memory ret) = a.exec(address(pool), abi.encodeCall(ILendingPoolCore.mint, (shares, receiver)));
        if (!ok) {
            _refuse("mint", _blocked(address(a)));
            return;
        }
        uint256 assets = abi.decode(ret, (uint256));
        _checkEq(assets, preview, A5_NO_FREE_VALUE);
        _checkEq(before - usdc.balanceOf(address(a)), assets, A5_NO_FREE_VALUE);
        gDeposits += assets;
        _count("mint");
    }

    function withdraw(uint256 actorSeed, uint256 assets, uint256 receiverSeed) external step {
        Actor owner = _actor(actorSeed);
        address receiver = address(_actor(receiverSeed));
        uint256 max = pool.maxWithdraw(address(owner));
        _checkLe(max, pool.cash(), A6_LIQUIDITY);
        if (max == 0) _skip();
        assets = _bound(assets, 1, max);
        uint256 preview = pool.previewWithdraw(assets);
        uint256 before = usdc.balanceOf(receiver);
        (bool ok, bytes memory ret) =
            owner.exec(address(pool), abi.encodeCall(ILendingPoolCore.withdraw, (assets, receiver, address(owner))));
        if (!ok) {
            // Liveness: only a receiver the token refuses may make it fail (never a pause, never the oracle).
            _check(_blocked(receiver), A6_LIQUIDITY);
            refusedCount["withdraw"] += 1;
            return;
        }
        _checkEq(abi.decode(ret, (uint256)), preview, A5_NO_FREE_VALUE);
        _checkEq(usdc.balanceOf(receiver) - before, assets, A5_NO_FREE_VALUE);
        gWithdrawals += assets;
        _count("withdraw");
    }

    function redeem(uint256 actorSeed, uint256 shares, uint256 receiverSeed) external step {
        Actor owner = _actor(actorSeed);
        address receiver = address(_actor(receiverSeed));
        uint256 max = pool.maxRedeem(address(owner));
        if (max == 0) _skip();
        shares = _bound(shares, 1, max);
        uint256 preview = pool.previewRedeem(shares);
        uint256 before = usdc.balanceOf(receiver);
        (bool ok, bytes memory ret) =
            owner.exec(address(pool), abi.encodeCall(ILendingPoolCore.redeem, (shares, receiver, address(owner))));
        if (!ok) {
            // A redemption worth 0 assets is refused (ZeroAmount); otherwise only a refused receiver may fail it.
            _check(_blocked(receiver) || preview == 0, A6_LIQUIDITY);
            refusedCount["redeem"] += 1;
            return;
        }
        uint256 assets = abi.decode(ret, (uint256));
        _checkEq(assets, preview, A5_NO_FREE_VALUE);
        _checkEq(usdc.balanceOf(receiver) - before, assets, A5_NO_FREE_VALUE);
        gWithdrawals += assets;
        _count("redeem");
    }

    function transferShares(uint256 fromSeed, uint256 toSeed, uint256 shares) external step {
        Actor from = _actor(fromSeed);
        address to = address(_actor(toSeed));
        uint256 bal = pool.balanceOf(address(from));
        if (bal == 0) _skip();
        shares = _bound(shares, 1, bal);
        (bool ok,) = from.exec(address(pool), abi.encodeCall(ILendingPoolCore.transfer, (to, shares)));
        _check(ok, A3_SHARES);
        _count("transferShares");
    }

    /// @notice A5: deposit then redeem every minted share in the same block never returns more than was paid.
    function roundTrip(uint256 actorSeed, uint256 assets) external step {
        Actor a = _actor(actorSeed);
        if (_blocked(address(a))) _skip();
        assets = _bound(assets, 1, 1_000_000 * USDC);
        _fund(a, assets);
        uint256 before = usdc.balanceOf(address(a));
        uint256 preview = pool.previewDeposit(assets);
        (bool ok, bytes memory ret) =
            a.exec(address(pool), abi.encodeCall(ILendingPoolCore.deposit, (assets, address(a))));
        if (!ok) {
            _refuse("roundTrip", preview == 0);
            return;
        }
        uint256 shares = abi.decode(ret, (uint256));
        gDeposits += assets;
        (ok, ret) = a.exec(address(pool), abi.encodeCall(ILendingPoolCore.redeem, (shares, address(a), address(a))));
        if (!ok) {
            // Idle cash may not cover it (or it is worth 0): then the shares stay, which is fine, but it is no trip.
            refusedCount["roundTrip"] += 1;
            return;
        }
        uint256 back = abi.decode(ret, (uint256));
        gWithdrawals += back;
        _checkLe(usdc.balanceOf(address(a)), before, A5_NO_FREE_VALUE);
        _count("roundTrip");
    }

    /// @notice L9: withdrawing or redeeming someone else's shares without an allowance reverts.
    function withdrawOnBehalf(uint256 thiefSeed, uint256 victimSeed, uint256 assets) external step {
        Actor thief = _actor(thiefSeed);
        Actor victim = _actor(victimSeed);
        if (thief == victim || pool.allowance(address(victim), address(thief)) != 0) _skip();
        uint256 max = pool.maxWithdraw(address(victim));
        if (max == 0) _skip();
        assets = _bound(assets, 1, max);
        (bool ok,) = thief.exec(
            address(pool), abi.encodeCall(ILendingPoolCore.withdraw, (assets, address(thief), address(victim)))
        );
        _check(!ok, L9_NO_THEFT);
        uint256 shares = pool.balanceOf(address(victim));
        (ok,) = thief.exec(
            address(pool), abi.encodeCall(ILendingPoolCore.redeem, (shares, address(thief), address(victim)))
        );
        _check(!ok, L9_NO_THEFT);
    }

    /// @notice Pays out an actor's claimable balance (auction surplus, keeper rewards).
    function claim(uint256 actorSeed, uint256 toSeed) external step {
        Actor a = _actor(actorSeed);
        address to = address(_actor(toSeed));
        uint256 owed = pool.claimable(address(a));
        uint256 before = usdc.balanceOf(to);
        (bool ok,) = a.exec(address(pool), abi.encodeCall(ILendingPoolExtension.claim, (to)));
        if (!ok) {
            _check(owed == 0 || _blocked(to), B2_WATERFALL);
            refusedCount["claim"] += 1;
            return;
        }
        _checkEq(usdc.balanceOf(to) - before, owed, B2_WATERFALL);
        _checkEq(pool.claimable(address(a)), 0, B6_ONCE);
        _count("claim");
    }
}
