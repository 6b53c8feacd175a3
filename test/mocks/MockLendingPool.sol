// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {FixedPointMathLib} from "solady/utils/FixedPointMathLib.sol";
import {SafeTransferLib} from "solady/utils/SafeTransferLib.sol";

interface IERC721Like {
    function transferFrom(address from, address to, uint256 id) external;
}

interface IERC1155Like {
    function safeTransferFrom(address from, address to, uint256 id, uint256 amount, bytes calldata data) external;
}

/// @notice Just the part of a LendingPool that the auction module calls, with the same signatures, errors and
/// settlement waterfall (frozen debt, then penalty split between reserve and keeper, then surplus to the borrower as
/// claimable; the shortfall written off), plus test hooks: open a loan, mark it liquidatable, repay it.
/// Loans are hash-committed exactly as in the real pool; the debt is the principal (no interest).
contract MockLendingPool {
    using SafeTransferLib for address;

    uint256 internal constant BPS = 10_000;

    address public asset;
    address public valuation;
    address public liquidator;
    address public custody;

    uint16 public penaltyBps = 500;
    uint16 public keeperShareBps = 5000;
    uint16 public auctionStartBps = 15_000;
    uint16 public auctionReserveBps = 7000;
    uint32 public auctionDuration = 36 hours;

    uint256 public nextLoanId = 1;
    uint256 public accounted; // tokens the pool knows it holds
    uint256 public reserve;
    uint256 public auctionDebt;
    uint256 public totalBadDebt;
    mapping(uint256 loanId => bytes32) public loanHash;
    mapping(uint256 loanId => bool) public liquidatable;
    mapping(address collection => uint8) public standard; // 1 = ERC-721 (default), 2 = ERC-1155
    mapping(address account => uint256) public claimable;

    uint256 public startCalls;
    uint256 public settleCalls;
    address public lastKeeper;
    address public lastBuyer;
    uint256 public lastProceeds;
    uint256 public relistCalls;
    address public lastSettler;

    constructor(address asset_, address valuation_, address custody_) {
        asset = asset_;
        valuation = valuation_;
        custody = custody_;
    }

    /*//////////////////////////////////////////////////////////////
                               TEST HOOKS
    //////////////////////////////////////////////////////////////*/

    function setLiquidator(address liquidator_) external {
        liquidator = liquidator_;
    }

    function setStandard(address collection, uint8 standard_) external {
        standard[collection] = standard_;
    }

    function setAuctionTerms(
        uint16 startBps,
        uint16 reserveBps,
        uint32 duration,
        uint16 penalty,
        uint16 keeperShare
    ) external {
        auctionStartBps = startBps;
        auctionReserveBps = reserveBps;
        auctionDuration = duration;
        penaltyBps = penalty;
        keeperShareBps = keeperShare;
    }

    function setLiquidatable(uint256 loanId, bool value) external {
        liquidatable[loanId] = value;
    }

    /// @dev Pulls the NFT from `borrower` (who approved this pool) and commits a loan of `debt`.
    function openLoan(
        address borrower,
        address collection,
        uint256 tokenId,
        uint256 amount,
        uint256 debt
    ) external returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        loanId = nextLoanId++;
        loan = ILendingPoolTypes.Loan({
            borrower: borrower,
            collection: collection,
            tokenId: tokenId,
            amount: amount,
            principal: debt,
            scaledDebt: debt,
            premium: 0,
            premiumMultipleWad: 0,
            frozenDebt: 0,
            impairment: 0,
            startTime: uint40(block.timestamp),
            dueTime: uint40(block.timestamp + 30 days),
            auctionStart: 0,
            termsId: 1,
            outageBase: 0
        });
        loanHash[loanId] = keccak256(abi.encode(loan));
        _moveNft(collection, borrower, address(this), tokenId, amount);
    }

    /// @dev Full repayment by anyone: during an auction, the frozen debt plus the penalty; cancels the auction.
    function repay(uint256 loanId, ILendingPoolTypes.Loan calldata loan) external returns (uint256 paid) {
        _checkLoan(loanId, loan);
        paid = loan.auctionStart == 0 ? loan.scaledDebt : loan.frozenDebt + _penalty(loan.frozenDebt);
        if (loan.auctionStart != 0) auctionDebt -= loan.frozenDebt;
        delete loanHash[loanId];
        asset.safeTransferFrom(msg.sender, address(this), paid);
        accounted += paid;
        _moveNft(loan.collection, address(this), loan.borrower, loan.tokenId, loan.amount);
    }

    /*//////////////////////////////////////////////////////////////
                          LIQUIDATION INTERFACE
    //////////////////////////////////////////////////////////////*/

    function startAuction(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        address keeper
    ) external returns (ILendingPoolTypes.AuctionTerms memory terms, ILendingPoolTypes.Loan memory updated) {
        if (msg.sender != liquidator) revert ILendingPoolTypes.NotLiquidator(msg.sender);
        _checkLoan(loanId, loan);
        if (loan.auctionStart != 0) revert ILendingPoolTypes.LoanInAuction(loanId);
        if (!liquidatable[loanId]) {
            revert ILendingPoolTypes.LoanNotLiquidatable(loanId, 1.25e18, loan.dueTime);
        }
        uint256 value = IValuation(valuation).price(loan.collection) * loan.amount;
        uint256 debt = loan.scaledDebt;
        terms = ILendingPoolTypes.AuctionTerms({
            debt: debt,
            collateralValue: value,
            startPrice: FixedPointMathLib.fullMulDivUp(value, auctionStartBps, BPS),
            reservePrice: FixedPointMathLib.fullMulDivUp(value, auctionReserveBps, BPS),
            duration: auctionDuration,
            valuation: valuation
        });
        updated = loan;
        updated.frozenDebt = debt;
        updated.scaledDebt = 0;
        updated.impairment = debt > terms.reservePrice ? debt - terms.reservePrice : 0;
        updated.auctionStart = uint40(block.timestamp);
        loanHash[loanId] = keccak256(abi.encode(updated));
        auctionDebt += debt;
        startCalls++;
        lastKeeper = keeper;
    }

    function settleAuction(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        address buyer,
        uint256 proceeds,
        address keeper
    ) external returns (uint256 badDebt) {
        if (msg.sender != liquidator) revert ILendingPoolTypes.NotLiquidator(msg.sender);
        _checkLoan(loanId, loan);
        if (loan.auctionStart == 0) revert ILendingPoolTypes.LoanNotInAuction(loanId);
        uint256 received = SafeTransferLib.balanceOf(asset, address(this)) - accounted;
        if (received < proceeds) revert ILendingPoolTypes.FeeOnTransfer(proceeds, received);

        uint256 debt = loan.frozenDebt;
        uint256 repaid = FixedPointMathLib.min(proceeds, debt);
        uint256 rest = proceeds - repaid;
        uint256 penalty = FixedPointMathLib.min(rest, _penalty(debt));
        uint256 keeperCut = penalty * keeperShareBps / BPS;
        reserve += penalty - keeperCut;
        claimable[keeper] += keeperCut;
        claimable[loan.borrower] += rest - penalty;
        badDebt = debt - repaid;
        totalBadDebt += badDebt;
        accounted += proceeds;
        auctionDebt -= debt;
        delete loanHash[loanId];
        settleCalls++;
        lastBuyer = buyer;
        lastProceeds = proceeds;
        lastKeeper = keeper;

        _moveNft(loan.collection, address(this), buyer == address(0) ? custody : buyer, loan.tokenId, loan.amount);
    }

    /// @dev An ended auction without a bid: a relist leaves the loan as it is (the mock pays no settlement reward);
    /// the final close writes the frozen debt off and sends the NFT to custody, as the real pool does.
    function settleUnsold(
        uint256 loanId,
        ILendingPoolTypes.Loan calldata loan,
        address settler,
        bool close
    ) external returns (uint256 writtenOff, ILendingPoolTypes.Loan memory updated) {
        if (msg.sender != liquidator) revert ILendingPoolTypes.NotLiquidator(msg.sender);
        _checkLoan(loanId, loan);
        if (loan.auctionStart == 0) revert ILendingPoolTypes.LoanNotInAuction(loanId);
        lastSettler = settler;
        updated = loan;
        if (!close) {
            relistCalls++;
            return (0, updated);
        }
        writtenOff = loan.frozenDebt;
        totalBadDebt += writtenOff;
        auctionDebt -= writtenOff;
        delete loanHash[loanId];
        settleCalls++;
        lastBuyer = address(0);
        lastProceeds = 0;
        _moveNft(loan.collection, address(this), custody, loan.tokenId, loan.amount);
    }

    /// @dev Pull payment of a claimable balance, as in the real pool.
    function claim(address to) external returns (uint256 amount) {
        amount = claimable[msg.sender];
        if (amount == 0) revert ILendingPoolTypes.NothingToClaim(msg.sender);
        claimable[msg.sender] = 0;
        accounted -= amount;
        asset.safeTransfer(to, amount);
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC1155Received.selector;
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _checkLoan(uint256 loanId, ILendingPoolTypes.Loan calldata loan) internal view {
        if (loanHash[loanId] == 0 || loanHash[loanId] != keccak256(abi.encode(loan))) {
            revert ILendingPoolTypes.UnknownLoan(loanId);
        }
    }

    function _penalty(uint256 debt) internal view returns (uint256) {
        return FixedPointMathLib.fullMulDivUp(debt, penaltyBps, BPS);
    }

    function _moveNft(address collection, address from, address to, uint256 tokenId, uint256 amount) internal {
        if (standard[collection] == 2) IERC1155Like(collection).safeTransferFrom(from, to, tokenId, amount, "");
        else IERC721Like(collection).transferFrom(from, to, tokenId);
    }
}
