// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolAdmin} from "../../src/interfaces/ILendingPoolAdmin.sol";
import {ILendingPoolCore} from "../../src/interfaces/ILendingPoolCore.sol";
import {ILendingPoolExtension} from "../../src/interfaces/ILendingPoolExtension.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {ITraitPricer} from "../../src/interfaces/ITraitPricer.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {Actor} from "../base/Actor.sol";
import {HandlerBase} from "../base/HandlerBase.sol";

/// @notice The borrower side: borrow (ERC-721, ERC-1155, trait-priced), partial and full repayment, renewal, and
/// borrowing against someone else's NFT.
abstract contract BorrowerHandler is HandlerBase {
    /*//////////////////////////////////////////////////////////////
                                 BORROW
    //////////////////////////////////////////////////////////////*/

    /// @param flags bit 0: ERC-1155 instead of ERC-721; bit 1: do not refresh the oracle first; bit 2: reuse an
    /// ERC-721 token the actor already owns (e.g. returned by an earlier repayment).
    function borrow(uint256 actorSeed, uint256 idSeed, uint256 units, uint256 principal, uint256 flags) external step {
        Actor a = _actor(actorSeed);
        bool isItems = flags & 1 == 1;
        address c = isItems ? address(items) : address(apes);
        if (flags & 2 == 0) _freshen(c);
        uint256 id;
        uint256 amount = 1;
        if (isItems) {
            if (a.mode() == Actor.Mode.Reject) _skip(); // it would refuse the test mint itself
            id = idSeed % N_ITEM_IDS + 1;
            amount = _bound(units, 1, 20);
            items.mint(address(a), id, amount);
            // E2 probe, one call in eight: the guardian first caps the units per loan just below this draw (when that
            // tightens), so the borrow must be refused.
            if (units % 8 == 7 && amount > 1) _capUnits(amount - 1);
        } else {
            id = _apeFor(a, idSeed, flags & 4 != 0);
        }
        _borrow(a, c, id, amount, principal, 0, new bytes32[](0));
    }

    /// @notice Borrows against a trait-priced ERC-721 token of the current root, with its leaf's premium and proof.
    /// @param tamper When odd, claims one more than the leaf's premium: the proof must then fail (O4).
    function borrowTrait(uint256 actorSeed, uint256 leafSeed, uint256 principal, uint256 tamper) external step {
        if (trait.epoch == 0) _skip();
        uint256 k = leafSeed % 2;
        uint256 id = trait.tokenIds[k];
        Actor a = _actor(actorSeed);
        if (!_apeExists(id)) {
            apes.mint(address(a), id);
            apeIds.push(id);
        } else if (apes.ownerOf(id) != address(a)) {
            _skip();
        }
        _freshen(address(apes));
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = trait.leaves[1 - k];
        uint256 premium = trait.premiums[k] + (tamper % 2);
        _borrow(a, address(apes), id, 1, principal, premium, proof);
    }

    /// @dev The guardian sets the ERC-1155's unit cap to `units` when that tightens it (principal cap unchanged).
    function _capUnits(uint256 units) internal {
        (, uint256 cap, uint256 current) = pool.collectionExposure(address(items));
        if (current != 0 && current <= units) return;
        (bool ok,) =
            guardian.exec(address(pool), abi.encodeCall(ILendingPoolAdmin.setBorrowerCap, (address(items), cap, units)));
        _check(ok, G1_ONLY_TIMELOCK);
    }

    /// @dev What the harness knew right before a borrow.
    struct BorrowCtx {
        address c;
        uint256 id;
        uint256 amount;
        uint256 principal;
        uint256 premium;
        uint256 unitPrice;
        IValuation.Status status;
        bool paused;
        bool frozen;
        uint32 termsId;
        bool validRoot;
    }

    function _borrow(
        Actor a,
        address c,
        uint256 id,
        uint256 amount,
        uint256 principal,
        uint256 premium,
        bytes32[] memory proof
    ) internal {
        BorrowCtx memory x = _borrowCtx(c, id, amount, principal, premium);
        (bool ok, bytes memory ret) = _execBorrow(a, x, proof);
        bytes32 action = proof.length != 0
            ? bytes32("borrowTrait")
            : c == address(apes) ? bytes32("borrow721") : bytes32("borrow1155");
        if (!ok) {
            // Counted, not judged: a borrow has many legitimate refusals (price, pause, freeze, LTV, ceiling, cash);
            // ForgeInvariants.afterInvariant requires a minimum of accepted ones.
            refusedCount[action] += 1;
            return;
        }
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = abi.decode(ret, (uint256, ILendingPoolTypes.Loan));
        _checkOrigination(x, loan, proof.length != 0);
        _addLoan(loanId, loan);
        gBorrowed += x.principal;
        _roundingStep();
        _count(action);
    }

    function _borrowCtx(
        address c,
        uint256 id,
        uint256 amount,
        uint256 principal,
        uint256 premium
    ) internal view returns (BorrowCtx memory x) {
        x.c = c;
        x.id = id;
        x.amount = amount;
        x.premium = premium;
        (x.unitPrice, x.status) = _status(c);
        ILendingPoolTypes.RateConfig memory rc = pool.rateConfig();
        x.paused = rc.borrowPaused;
        (x.termsId,,, x.frozen) = pool.collectionState(c);
        // Up to 10 % above the LTV limit of the terms in force (with the premium the leaf claims): most loans are
        // near the limit, so price moves make them liquidatable, and about one draw in eleven must be refused (L1).
        ILendingPoolTypes.Terms memory t = pool.terms(c, x.termsId);
        uint256 value = x.unitPrice * amount;
        if (premium != 0) value += premium < 2 * x.unitPrice ? premium : 2 * x.unitPrice;
        uint256 cap = value * t.haircutBps / BPS * t.ltvBps / BPS * 11 / 10;
        x.principal = _bound(principal, rc.minLoan, cap > rc.minLoan ? cap : rc.minLoan);
        x.validRoot = _rootUsable();
    }

    function _execBorrow(Actor a, BorrowCtx memory x, bytes32[] memory proof) internal returns (bool, bytes memory) {
        return a.exec(
            address(pool),
            abi.encodeCall(ILendingPoolCore.borrow, (x.c, x.id, x.amount, x.principal, address(a), x.premium, proof))
        );
    }

    /// @dev L1 / O1 / G1: only a usable price, an unpaused pool and an unfrozen collection originate loans, within
    /// the LTV of the terms in force, and the pool holds the collateral afterwards.
    function _checkOrigination(BorrowCtx memory x, ILendingPoolTypes.Loan memory loan, bool withProof) internal {
        _check(x.status == IValuation.Status.Ok, L1_ORIGINATION);
        _check(!x.paused && !x.frozen, G1_ONLY_TIMELOCK);
        _checkEq(loan.termsId, x.termsId, L8_TERMS_FIXED);
        ILendingPoolTypes.Terms memory t = pool.terms(x.c, loan.termsId);
        // The premium is per unit, in the asset, counted at most its multiple at origination x the unit price.
        uint256 most = x.unitPrice * loan.premiumMultipleWad / WAD;
        uint256 premium = loan.premium < most ? loan.premium : most;
        uint256 value = (x.unitPrice + premium) * x.amount;
        _checkLe(x.principal, value * t.haircutBps / BPS * t.ltvBps / BPS, L1_ORIGINATION);
        if (withProof) _checkTraitLoan(loan, x.premium, x.unitPrice, x.validRoot);
        if (x.c == address(apes)) _check(apes.ownerOf(x.id) == address(pool), L2_CUSTODY_721);
        // E2, before the new loan joins the records: what the owner owed in the collection plus this loan.
        (, uint256 cap, uint256 units) = pool.collectionExposure(x.c);
        if (cap != 0) _checkLe(_principalOf(x.c, loan.borrower) + loan.principal, cap, E2_BORROWER_CAP);
        if (units != 0) _checkLe(loan.amount, units, E2_BORROWER_CAP);
    }

    /// @dev O4: a premium needs a usable root and an honest leaf, and is stored capped by multiple x price.
    function _checkTraitLoan(
        ILendingPoolTypes.Loan memory loan,
        uint256 premium,
        uint256 unitPrice,
        bool validRoot
    ) internal {
        _check(validRoot, O4_TRAIT);
        _check(premium == trait.premiums[0] || premium == trait.premiums[1], O4_TRAIT);
        ITraitPricer.RootRecord memory rec = pricer.rootRecord(address(apes));
        uint256 capped = premium < unitPrice * rec.maxPremiumMultipleWad / WAD
            ? premium
            : unitPrice * rec.maxPremiumMultipleWad / WAD;
        _checkLe(loan.premium, capped, O4_TRAIT);
        _checkLe(loan.premiumMultipleWad, capped * WAD / unitPrice, O4_TRAIT);
        _checkLe(loan.premiumMultipleWad, 10e18, O4_TRAIT);
    }

    function _rootUsable() internal view returns (bool) {
        ITraitPricer.RootRecord memory rec = pricer.rootRecord(address(apes));
        return rec.root != bytes32(0) && rec.generation == pricer.signerGeneration() && block.timestamp <= rec.expiry
            && rec.epoch == trait.epoch;
    }

    /// @dev For probes that need a loan: opens one against a fresh NFT of `c` (one unit of an ERC-1155 id) for an
    /// honest actor at a usable price, through the same path and checks as a fuzzed borrow. Its principal is the
    /// minimum loan, or 99 % of the most the terms lend when `atLimit` (so a price shock puts it under health 1).
    function _openLoan(address c, uint256 seed, bool atLimit) internal override returns (bool, uint256) {
        Actor a = _honestActor(seed);
        if (address(a) == address(0) || !_revive(c)) return (false, 0);
        uint256 id;
        if (c == address(items)) {
            id = seed % N_ITEM_IDS + 1;
            items.mint(address(a), id, 1);
        } else {
            id = _apeFor(a, seed, false);
        }
        uint256 principalSeed; // _borrowCtx bounds it to [minLoan, ...]: 0 is the minimum loan
        if (atLimit) {
            (uint256 price,) = _status(c);
            (uint32 termsId,,,) = pool.collectionState(c);
            ILendingPoolTypes.Terms memory t = pool.terms(c, termsId);
            uint256 most = price * t.haircutBps / BPS * t.ltvBps / BPS * 99 / 100;
            uint256 minLoan = pool.rateConfig().minLoan;
            principalSeed = most > minLoan ? most - minLoan : 0;
        }
        uint256 n = live.length;
        _borrow(a, c, id, 1, principalSeed, 0, new bytes32[](0));
        return live.length > n ? (true, live.length - 1) : (false, 0);
    }

    /// @dev An ERC-721 id for `a` to borrow against: one it owns already when asked and available, else a new one.
    function _apeFor(Actor a, uint256 seed, bool reuse) internal returns (uint256 id) {
        if (reuse && apeIds.length != 0) {
            id = apeIds[seed % apeIds.length];
            if (apes.ownerOf(id) == address(a)) return id;
        }
        id = nextApeId++;
        apes.mint(address(a), id);
        apeIds.push(id);
    }

    function _apeExists(uint256 id) internal view returns (bool) {
        try apes.ownerOf(id) returns (address) {
            return true;
        } catch {
            return false;
        }
    }

    /// @notice L9: borrowing against another account's NFT without its approval reverts.
    function borrowOthersNft(uint256 thiefSeed, uint256 idSeed, uint256 principal) external step {
        if (apeIds.length == 0) _skip();
        Actor thief = _actor(thiefSeed);
        uint256 id = apeIds[idSeed % apeIds.length];
        address owner = apes.ownerOf(id);
        if (owner == address(thief)) _skip();
        principal = _bound(principal, MIN_LOAN, 10_000 * USDC);
        (bool ok,) = thief.exec(
            address(pool),
            abi.encodeCall(ILendingPoolCore.borrow, (address(apes), id, 1, principal, owner, 0, new bytes32[](0)))
        );
        _check(!ok, L9_NO_THEFT);
        _checkEq(apes.ownerOf(id) == owner ? 1 : 0, 1, L9_NO_THEFT);
    }

    /*//////////////////////////////////////////////////////////////
                                 REPAY
    //////////////////////////////////////////////////////////////*/

    /// @notice A partial repayment that leaves at least the minimum loan.
    function repayPartial(uint256 loanSeed, uint256 payerSeed, uint256 amount) external step {
        (bool found, uint256 i) = _pickState(loanSeed, false);
        if (!found) _skip();
        ILendingPoolTypes.Loan memory loan = live[i].loan;
        uint256 debt = pool.debtOf(loan);
        uint256 minLoan = pool.rateConfig().minLoan;
        if (debt <= minLoan + 1) _skip();
        amount = _bound(amount, 1, debt - minLoan - 1);
        Actor payer = _actor(payerSeed);
        _fund(payer, amount);
        (bool ok, bytes memory ret) =
            payer.exec(address(pool), abi.encodeCall(ILendingPoolCore.repay, (live[i].id, loan, amount)));
        if (!ok) {
            // Only a payer the token refuses may fail a valid partial repayment.
            _check(_blocked(address(payer)), L6_REPAY_LIVENESS);
            refusedCount["repayPartial"] += 1;
            return;
        }
        (uint256 paid, ILendingPoolTypes.Loan memory updated) = abi.decode(ret, (uint256, ILendingPoolTypes.Loan));
        _checkEq(paid, amount, L6_REPAY_LIVENESS);
        // The borrower never pays less than it owes: remaining debt + paid >= debt before.
        _checkLe(debt, pool.debtOf(updated) + paid, A1_DEBT);
        _checkEq(updated.termsId, loan.termsId, L8_TERMS_FIXED);
        _checkEq(updated.dueTime, loan.dueTime, L8_TERMS_FIXED);
        live[i].loan = updated;
        gDebtRepaid += paid;
        _roundingStep();
        _count("repayPartial");
    }

    /// @notice L6: repayment in full always succeeds for a funded payer the token accepts, whatever the oracle, the
    /// pause and freeze switches, the borrower's receiver, or an auction in progress.
    /// @param auctionFirst Repays a loan in auction (starting one, price shock included, when none runs).
    function repayFull(uint256 loanSeed, uint256 payerSeed, bool auctionFirst) external step {
        (bool found, uint256 i) = auctionFirst ? _ensureAuction(loanSeed, payerSeed) : (false, 0);
        if (!found) (found, i) = _pickLive(loanSeed);
        if (!found) {
            if (!auctionFirst) _skip();
            return;
        }
        Actor payer = _honestActor(payerSeed);
        if (address(payer) == address(0)) _skip();
        LoanRec memory r = live[i];
        Actor borrower = Actor(r.loan.borrower);
        uint256 expected = _fullRepayAmount(r.loan);
        _fund(payer, expected);
        bool armed = _armIfHostile(borrower, r);
        uint256 unitsBefore =
            r.loan.collection == address(items) ? items.balanceOf(address(borrower), r.loan.tokenId) : 0;
        uint256 claimBefore = pool.nftClaimable(address(borrower), r.loan.collection, r.loan.tokenId);

        (bool ok, bytes memory ret) =
            payer.exec(address(pool), abi.encodeCall(ILendingPoolCore.repay, (r.id, r.loan, type(uint256).max)));
        if (!ok) {
            borrower.disarm();
            _fail(L6_REPAY_LIVENESS, r.id, expected);
            refusedCount[r.loan.auctionStart != 0 ? bytes32("repayInAuction") : bytes32("repayFull")] += 1;
            return;
        }
        (uint256 paid,) = abi.decode(ret, (uint256, ILendingPoolTypes.Loan));
        _checkEq(paid, expected, L6_REPAY_LIVENESS);
        _checkEq(uint256(pool.loanHash(r.id)), 0, L5_RETURN);
        _checkReturned(r.loan, borrower, unitsBefore, claimBefore);
        if (armed) _checkProbe(borrower);
        borrower.disarm();
        _bookRepayFull(r, paid);
        _closeLoan(i);
        _count(r.loan.auctionStart != 0 ? bytes32("repayInAuction") : bytes32("repayFull"));
    }

    function _fullRepayAmount(ILendingPoolTypes.Loan memory loan) internal view returns (uint256) {
        if (loan.auctionStart == 0) return pool.debtOf(loan);
        uint256 penaltyBps = pool.terms(loan.collection, loan.termsId).penaltyBps;
        return loan.frozenDebt + _mulBpsUp(loan.frozenDebt, penaltyBps);
    }

    function _mulBpsUp(uint256 x, uint256 bps) internal pure returns (uint256) {
        return (x * bps + BPS - 1) / BPS;
    }

    function _bookRepayFull(LoanRec memory r, uint256 paid) internal {
        if (r.loan.auctionStart == 0) {
            gDebtRepaid += paid;
        } else {
            gAuctionClosedDebt += r.loan.frozenDebt;
            gPenaltyKept += paid - r.loan.frozenDebt;
        }
        _roundingStep();
    }

    /// @dev L5: the NFT is the borrower's again (ERC-1155 units it refused are claimable by it alone).
    function _checkReturned(
        ILendingPoolTypes.Loan memory loan,
        Actor borrower,
        uint256 unitsBefore,
        uint256 claimBefore
    ) internal {
        if (loan.collection == address(apes)) {
            _check(apes.ownerOf(loan.tokenId) == address(borrower), L5_RETURN);
            return;
        }
        uint256 got = items.balanceOf(address(borrower), loan.tokenId) - unitsBefore;
        uint256 owed = pool.nftClaimable(address(borrower), loan.collection, loan.tokenId) - claimBefore;
        _checkEq(got + owed, loan.amount, L5_RETURN);
        _check(got == 0 || owed == 0, L5_RETURN);
        if (owed != 0) {
            _check(borrower.mode() == Actor.Mode.Reject, L5_RETURN);
            itemClaimableUnits[loan.tokenId] += owed;
        }
    }

    /// @notice Takes back ERC-1155 units refused at repayment (the actor turns normal first).
    function claimNft(uint256 actorSeed, uint256 idSeed) external step {
        Actor a = _actor(actorSeed);
        uint256 id = idSeed % N_ITEM_IDS + 1;
        uint256 owed = pool.nftClaimable(address(a), address(items), id);
        if (owed == 0) _skip();
        a.setMode(Actor.Mode.Normal);
        uint256 before = items.balanceOf(address(a), id);
        (bool ok,) =
            a.exec(address(pool), abi.encodeCall(ILendingPoolExtension.claimNft, (address(items), id, address(a))));
        _check(ok, L5_RETURN);
        if (!ok) {
            refusedCount["claimNft"] += 1;
            return;
        }
        _checkEq(items.balanceOf(address(a), id) - before, owed, L5_RETURN);
        _checkEq(pool.nftClaimable(address(a), address(items), id), 0, B6_ONCE);
        itemClaimableUnits[id] -= owed;
        _count("claimNft");
    }

    /// @notice Renewal: pays the interest and restarts the term; only for a healthy loan before maturity.
    /// @param shock One call in three first moves the collection's price to 20-100 % (re-anchored): the health check
    /// must then refuse the renewal of every loan it made unhealthy.
    function renew(uint256 loanSeed, uint256 payerSeed, bool fresh, uint256 shock) external step {
        (bool found, uint256 i) = _pickState(loanSeed, false);
        if (!found) _skip();
        LoanRec memory r = live[i];
        if (shock % 3 == 0) _shock(r.loan.collection, _bound(shock >> 2, 2000, 10_000));
        else if (fresh) _freshen(r.loan.collection);
        // E3 probe, one call in four: the guardian first freezes the loan's collection; the renewal must be refused.
        if (shock % 4 == 3) {
            (bool f,) = guardian.exec(
                address(pool), abi.encodeCall(ILendingPoolAdmin.setCollectionFrozen, (r.loan.collection, true))
            );
            _check(f, G1_ONLY_TIMELOCK);
        } else if (shock % 16 == 2) {
            // E3 probe, one call in sixteen: the guardian first lowers the unit cap under the loan's stack, or the
            // borrower cap under its principal; the renewal must then be refused (the guardian may always tighten). Rare:
            // a cap stays tightened for the rest of the run, and one in four refused V1's renewal minimum (seed
            // 0x4b8835c5, 20,000 runs: 4 accepted renewals in a window of 250 runs, minimum 5).
            _tightenUnder(r.loan);
        }
        // Mostly the borrower (only it may renew); one call in four a random actor, which must be refused.
        Actor payer = payerSeed % 4 == 0 ? _actor(payerSeed >> 2) : Actor(r.loan.borrower);
        uint256 debt = pool.debtOf(r.loan);
        _fund(payer, debt);
        (, IValuation.Status status) = _status(r.loan.collection);
        // Health without the trait premium: the renewed term does not carry it.
        ILendingPoolTypes.Loan memory bare = abi.decode(abi.encode(r.loan), (ILendingPoolTypes.Loan));
        bare.premium = 0;
        bare.premiumMultipleWad = 0;
        uint256 hf = status == IValuation.Status.Ok ? pool.healthFactor(bare) : 0;
        bool closed = pool.rateConfig().borrowPaused;
        {
            (,,, bool frozen) = pool.collectionState(r.loan.collection);
            closed = closed || frozen;
        }
        uint256 due = _dueWithOutages(r.loan);
        bool overLimit = _renewalOverLimit(r.loan);
        (bool ok, bytes memory ret) =
            payer.exec(address(pool), abi.encodeCall(ILendingPoolExtension.renew, (r.id, r.loan)));
        if (!ok) {
            // Refused only with no usable price, below health 1, past maturity, a payer the token refuses, a caller
            // other than the borrower, a freeze or a pause.
            _refuse(
                "renew",
                status != IValuation.Status.Ok || hf < WAD || block.timestamp > due || _blocked(address(payer))
                    || address(payer) != r.loan.borrower || closed || overLimit
            );
            return;
        }
        (uint256 interestPaid, ILendingPoolTypes.Loan memory updated) =
            abi.decode(ret, (uint256, ILendingPoolTypes.Loan));
        // The health check cannot be skipped (S12): a renewal needs a usable price and health >= 1 before maturity.
        _check(status == IValuation.Status.Ok && hf >= WAD && block.timestamp <= due, L1_ORIGINATION);
        _check(address(payer) == r.loan.borrower && !closed && updated.premium == 0, E3_RENEW_CREDIT);
        // E3: the new term is inside today's limits (ceiling, unit cap, borrower cap).
        _checkRenewalWithinLimits(updated);
        _checkEq(interestPaid, debt > r.loan.principal ? debt - r.loan.principal : 0, A1_DEBT);
        _checkEq(updated.principal, r.loan.principal, L8_TERMS_FIXED);
        _checkEq(updated.termsId, r.loan.termsId, L8_TERMS_FIXED);
        live[i].loan = updated;
        gDebtRepaid += interestPaid;
        _roundingStep();
        _count("renew");
    }

    /// @dev Whether renewing `loan` breaks a borrower limit in force now: the unit cap, or the borrower cap on the
    /// owner's outstanding principal. (The ceiling does not refuse a renewal: it lowers the exposure.)
    function _renewalOverLimit(ILendingPoolTypes.Loan memory loan) internal view returns (bool) {
        (, uint256 cap, uint256 units) = pool.collectionExposure(loan.collection);
        if (units != 0 && loan.amount > units) return true;
        return cap != 0 && pool.borrowerPrincipal(loan.collection, loan.borrower) > cap;
    }

    /// @dev E3 after a renewal: the loan's stack and the owner's principal within the limits in force.
    function _checkRenewalWithinLimits(ILendingPoolTypes.Loan memory updated) internal {
        (, uint256 cap, uint256 units) = pool.collectionExposure(updated.collection);
        if (units != 0) _checkLe(updated.amount, units, E3_RENEW_CREDIT);
        if (cap != 0) _checkLe(pool.borrowerPrincipal(updated.collection, updated.borrower), cap, E3_RENEW_CREDIT);
    }

    /// @dev The guardian lowers the borrower cap to one under the owner's principal, where that tightens. Not the unit
    /// cap: a unit cap under a stack stays for the run and starved ERC-1155 borrows (seed 0x406486da: V1_LIVENESS, one
    /// accepted borrow1155 in a 50-run window, minimum 2); the borrow probe already tightens units (M22).
    function _tightenUnder(ILendingPoolTypes.Loan memory loan) internal {
        (, uint256 cap, uint256 units) = pool.collectionExposure(loan.collection);
        uint256 owed = pool.borrowerPrincipal(loan.collection, loan.borrower);
        uint256 nextUnits = units;
        uint256 nextCap = cap;
        if (owed > 1 && (cap == 0 || cap >= owed)) nextCap = owed - 1;
        else return;
        (, uint256 ceiling,,) = pool.collectionState(loan.collection);
        // A first principal cap above the ceiling would loosen (the ceiling bounds it already): the guardian may not.
        if (cap == 0 && nextCap != 0 && nextCap > ceiling) return;
        (bool ok,) = guardian.exec(
            address(pool), abi.encodeCall(ILendingPoolAdmin.setBorrowerCap, (loan.collection, nextCap, nextUnits))
        );
        _check(ok, G1_ONLY_TIMELOCK);
    }

    /*//////////////////////////////////////////////////////////////
                         HOSTILE RECEIVER PROBE
    //////////////////////////////////////////////////////////////*/

    /// @dev Arms a re-entering borrower with pool calls (all must hit the lock); returns whether it did.
    function _armIfHostile(Actor who, LoanRec memory r) internal returns (bool) {
        if (who.mode() != Actor.Mode.Reenter || r.loan.collection != address(items)) return false;
        address[] memory targets = new address[](6);
        bytes[] memory calls = new bytes[](6);
        for (uint256 k; k < 6; ++k) {
            targets[k] = address(pool);
        }
        calls[0] = abi.encodeCall(ILendingPoolCore.deposit, (1 * USDC, address(who)));
        calls[1] = abi.encodeCall(ILendingPoolCore.withdraw, (1, address(who), address(who)));
        calls[2] = abi.encodeCall(ILendingPoolCore.repay, (r.id, r.loan, type(uint256).max));
        calls[3] = abi.encodeCall(
            ILendingPoolCore.borrow, (address(items), r.loan.tokenId, 1, MIN_LOAN, address(who), 0, new bytes32[](0))
        );
        calls[4] = abi.encodeCall(ILendingPoolExtension.claim, (address(who)));
        calls[5] = abi.encodeCall(ILendingPoolExtension.claimNft, (address(items), r.loan.tokenId, address(who)));
        who.arm(targets, calls, address(pool));
        return true;
    }

    /// @dev R1 and O2: nothing escaped the lock, and the views read inside the hook equal the final state.
    function _checkProbe(Actor who) internal {
        if (who.hookRuns() == 0) return;
        _checkEq(who.reentryEscapes(), 0, R1_REENTRANCY);
        _checkEq(who.seenTotalAssets(), pool.totalAssets(), O2_CONSISTENT_VIEWS);
        _checkEq(who.seenShareValue(), pool.convertToAssets(1e18), O2_CONSISTENT_VIEWS);
    }
}
